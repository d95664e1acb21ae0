// SPDX-License-Identifier: Apache-2.0
/*
 * stb_image's implementation (Debian libstb-dev), compiled once here. It is
 * third-party code: built without our warning flags (src/cli/CMakeLists.txt).
 * Only the decoders `cdl run` needs; no file-name based loading of HDR/PIC.
 */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR
#define STBI_NO_PIC
#define STBI_NO_PNM
#define STBI_NO_PSD
#define STBI_NO_TGA
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>
