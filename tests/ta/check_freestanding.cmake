# SPDX-License-Identifier: Apache-2.0
#
# ta.freestanding: the whole trusted side (src/ta, the engine, the package
# reader) compiles as a TA would (DESIGN §3), with -ffreestanding -nostdinc,
# the compiler's own headers and the engine's string.h shim only, and then
#   1. every header pulled in is ours (src/ta, src/engine, src/format,
#      include/cdl, the GP headers in src/tee/gp) or one of the compiler's
#      stddef.h stdint.h stdbool.h limits.h float.h (or SIMD intrinsics);
#   2. every symbol needed and not defined is a GP Internal API function
#      (TEE_*), cdl's TEE extension (cdl_tee_heap_stats, cdl_tee_derive_ta_key),
#      memcpy memmove memset memcmp strlen strcmp strncmp, or a libgcc / EABI
#      helper; and the five TA entry points are defined.
# Run with the host compiler and, when present, aarch64-linux-gnu-gcc.
#
# cmake -DCC=<compiler> -DNM=<nm> -DSOURCES=<a.c|b.c|...> -DSRC_DIR=<repo>
#       -DOUT_DIR=<scratch dir> -P check_freestanding.cmake

foreach(v CC NM SOURCES SRC_DIR OUT_DIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "ta freestanding check: ${v} not given")
  endif()
endforeach()
string(REPLACE "|" ";" SOURCES "${SOURCES}")
# The engine's shim (string.h, mm_malloc.h) and the reader's (limits.h, which
# GCC's own limits.h includes next).
set(SHIM_DIR ${SRC_DIR}/tests/engine/freestanding/include)
set(SHIM2_DIR ${SRC_DIR}/tests/format/freestanding_include)

execute_process(COMMAND ${CC} -print-file-name=include
  OUTPUT_VARIABLE CC_INC OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc OR NOT IS_DIRECTORY "${CC_INC}")
  message(FATAL_ERROR "cannot find ${CC}'s include directory")
endif()
get_filename_component(CC_INC ${CC_INC} REALPATH)

set(ALLOWED_CC_HEADERS stddef.h stdint.h stdint-gcc.h stdbool.h limits.h syslimits.h float.h)
set(ALLOWED_SYMBOLS memcpy memmove memset memcmp strlen strcmp strncmp
  cdl_tee_heap_stats cdl_tee_derive_ta_key)
set(ENTRY_POINTS TA_CreateEntryPoint TA_DestroyEntryPoint TA_OpenSessionEntryPoint
  TA_CloseSessionEntryPoint TA_InvokeCommandEntryPoint)

file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})
set(FLAGS -std=gnu11 -O2 -ffreestanding -fno-builtin -nostdinc -fno-stack-protector
  -ffp-contract=off -Wall -Wextra -Werror -Wno-unused-parameter
  -isystem ${SHIM_DIR} -isystem ${CC_INC} -isystem ${SHIM2_DIR}
  -I${SRC_DIR}/include -I${SRC_DIR}/src -I${SRC_DIR}/src/ta/include -I${SRC_DIR}/src/tee/gp)

set(OBJECTS)
set(failed 0)
foreach(src ${SOURCES})
  file(RELATIVE_PATH rel ${SRC_DIR} ${src})
  string(REPLACE "/" "_" obj ${rel})
  set(obj ${OUT_DIR}/${obj}.o)
  execute_process(COMMAND ${CC} ${FLAGS} -MD -MF ${obj}.d -c ${src} -o ${obj}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(SEND_ERROR "${rel} does not compile freestanding with ${CC}:\n${out}${err}")
    set(failed 1)
    continue()
  endif()
  list(APPEND OBJECTS ${obj})
  file(READ ${obj}.d deps)
  string(REGEX REPLACE "\\\\\n" " " deps "${deps}")
  string(REGEX REPLACE "^[^:]*:" "" deps "${deps}")
  string(REGEX REPLACE "[ \t\n]+" ";" deps "${deps}")
  foreach(h ${deps})
    if(h STREQUAL "" OR NOT h MATCHES "\\.h$")
      continue()
    endif()
    get_filename_component(h ${h} REALPATH)
    get_filename_component(name ${h} NAME)
    get_filename_component(dir ${h} DIRECTORY)
    set(ok 0)
    foreach(root ${SRC_DIR}/src/ta ${SRC_DIR}/src/engine ${SRC_DIR}/src/format
                 ${SRC_DIR}/include/cdl ${SRC_DIR}/src/tee/gp ${SHIM_DIR} ${SHIM2_DIR})
      get_filename_component(root ${root} REALPATH)
      string(FIND "${h}" "${root}/" pos)
      if(pos EQUAL 0)
        set(ok 1)
      endif()
    endforeach()
    if(dir STREQUAL CC_INC)
      list(FIND ALLOWED_CC_HEADERS ${name} i)
      if(i GREATER -1 OR name MATCHES "intrin\\.h$" OR name MATCHES "^arm_(neon|fp16|bf16|acle)\\.h$")
        set(ok 1)
      endif()
    endif()
    if(NOT ok)
      message(SEND_ERROR "${rel} includes ${h}: not allowed in trusted code (DESIGN §3)")
      set(failed 1)
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "freestanding check failed")
endif()

execute_process(COMMAND ${NM} -u ${OBJECTS} OUTPUT_VARIABLE undef RESULT_VARIABLE rc1)
execute_process(COMMAND ${NM} --defined-only ${OBJECTS} OUTPUT_VARIABLE defs RESULT_VARIABLE rc2)
if(rc1 OR rc2)
  message(FATAL_ERROR "${NM} failed")
endif()
set(defined)
string(REPLACE "\n" ";" defs "${defs}")
foreach(line ${defs})
  if(line MATCHES "^[0-9a-fA-F]+ [A-Za-z] (.+)$")
    list(APPEND defined ${CMAKE_MATCH_1})
  endif()
endforeach()
foreach(ep ${ENTRY_POINTS})
  list(FIND defined ${ep} i)
  if(i EQUAL -1)
    message(SEND_ERROR "the TA does not define ${ep}")
    set(failed 1)
  endif()
endforeach()
set(needed)
string(REPLACE "\n" ";" undef "${undef}")
foreach(line ${undef})
  if(line MATCHES "^ +U (.+)$")
    list(APPEND needed ${CMAKE_MATCH_1})
  endif()
endforeach()
list(REMOVE_DUPLICATES needed)
set(bad)
set(gp 0)
foreach(sym ${needed})
  list(FIND defined ${sym} i)
  if(i GREATER -1)
    continue()
  endif()
  list(FIND ALLOWED_SYMBOLS ${sym} j)
  if(j GREATER -1)
    continue()
  endif()
  if(sym MATCHES "^TEE_[A-Za-z0-9]+$")
    math(EXPR gp "${gp} + 1")
    continue()
  endif()
  if(sym MATCHES "^__aeabi_[a-z0-9_]+$" OR sym MATCHES "^__[a-z]+[0-9]$" OR
     sym STREQUAL "_GLOBAL_OFFSET_TABLE_")
    continue()
  endif()
  list(APPEND bad ${sym})
endforeach()
if(bad)
  message(FATAL_ERROR "the TA needs symbols a TEE does not provide: ${bad}")
endif()
if(failed)
  message(FATAL_ERROR "freestanding check failed")
endif()
list(LENGTH OBJECTS n)
message(STATUS "freestanding (${CC}): ${n} trusted sources OK, ${gp} GP functions used")
