/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in for OP-TEE's <pta_system.h> (lib/libutee/include/pta_system.h),
 * for optee.link's compile of src/tee/optee/cdl_tee_ext_optee.c: the values
 * of the system pseudo-TA's key derivation command as OP-TEE defines them.
 */
#ifndef CDL_OPTEE_SHIM_PTA_SYSTEM_H
#define CDL_OPTEE_SHIM_PTA_SYSTEM_H

#define PTA_SYSTEM_UUID                                                                            \
	{                                                                                          \
		0x3a2f8978, 0x5dc0, 0x11e8,                                                        \
		{                                                                                  \
			0x9c, 0x2d, 0xfa, 0x7a, 0xe0, 0x1b, 0xbe, 0xbc                             \
		}                                                                                  \
	}

#define TA_DERIVED_KEY_MIN_SIZE 16
#define TA_DERIVED_KEY_MAX_SIZE 32
#define TA_DERIVED_EXTRA_DATA_MAX_SIZE 1024

/* [in] memref[0]: extra data (<= 1024 bytes); [out] memref[1]: key (16..32 bytes) */
#define PTA_SYSTEM_DERIVE_TA_UNIQUE_KEY 1

#endif /* CDL_OPTEE_SHIM_PTA_SYSTEM_H */
