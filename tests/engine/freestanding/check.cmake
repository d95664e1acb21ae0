# SPDX-License-Identifier: Apache-2.0
#
# Freestanding checks (DESIGN §3): engine.freestanding (the engine) and
# ta.freestanding[_aarch64] (the whole trusted side: src/ta, the engine, the
# package reader). This compiles every source as a TA would, with
# -ffreestanding -nostdinc, the compiler's own header directory and a shim
# string.h (tests/engine/freestanding/include; SHIMS_AFTER adds directories
# searched after the compiler's) as the only system headers, then checks
#   1. every header a source pulls in is one of the allowed ones: our own
#      (HEADER_ROOTS: by default src/engine and include/cdl), the shims, and
#      from the compiler's directory only stddef.h stdint.h stdbool.h limits.h
#      float.h (with the files they include themselves) or SIMD intrinsics
#      headers;
#   2. every symbol the objects need and do not define themselves is one of
#      memcpy memmove memset memcmp strlen strcmp strncmp, EXTRA_SYMBOLS, a
#      GP Internal API function (TEE_*) when ALLOW_GP, or a compiler helper
#      routine of libgcc / the ARM EABI (__udivdi3, __aeabi_uidiv, ...) or the
#      linker-defined _GLOBAL_OFFSET_TABLE_;
#   3. the objects define every symbol of ENTRY_POINTS.
# The shim directory also holds an empty mm_malloc.h: GCC's x86 intrinsics
# headers include it, and GCC's own includes <stdlib.h>.
#
# cmake -DCC=<compiler> -DNM=<nm> -DSOURCES=<a.c|b.c|...> -DSRC_DIR=<repo>
#       -DOUT_DIR=<scratch dir> [-DWHAT=<what the sources are, for messages>]
#       [-DSHIMS_AFTER=<dir|...>] [-DINCLUDE_DIRS=<dir|...>]
#       [-DHEADER_ROOTS=<repo-relative dir|...>] [-DEXTRA_SYMBOLS=<sym|...>]
#       [-DALLOW_GP=ON] [-DENTRY_POINTS=<sym|...>] -P check.cmake

foreach(v CC SOURCES SRC_DIR OUT_DIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "freestanding check: ${v} not given")
  endif()
endforeach()
if(NOT NM)
  find_program(NM nm REQUIRED)
endif()
if(NOT WHAT)
  set(WHAT "the engine")
endif()
if(NOT HEADER_ROOTS)
  set(HEADER_ROOTS "src/engine|include/cdl")
endif()
foreach(v SOURCES SHIMS_AFTER INCLUDE_DIRS HEADER_ROOTS EXTRA_SYMBOLS ENTRY_POINTS)
  string(REPLACE "|" ";" ${v} "${${v}}")
endforeach()
get_filename_component(SHIM_DIR ${CMAKE_CURRENT_LIST_DIR}/include ABSOLUTE)

execute_process(COMMAND ${CC} -print-file-name=include
  OUTPUT_VARIABLE CC_INC OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc OR NOT IS_DIRECTORY "${CC_INC}")
  message(FATAL_ERROR "freestanding check: cannot find ${CC}'s include directory")
endif()
get_filename_component(CC_INC ${CC_INC} REALPATH)

set(ALLOWED_CC_HEADERS stddef.h stdint.h stdint-gcc.h stdbool.h limits.h syslimits.h float.h)
set(ALLOWED_SYMBOLS memcpy memmove memset memcmp strlen strcmp strncmp ${EXTRA_SYMBOLS})

file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})

set(FLAGS -std=gnu11 -O2 -ffreestanding -fno-builtin -nostdinc -fno-stack-protector
  -ffp-contract=off -Wall -Wextra -Werror -Wno-unused-parameter
  -isystem ${SHIM_DIR} -isystem ${CC_INC})
foreach(d ${SHIMS_AFTER})
  list(APPEND FLAGS -isystem ${d})
endforeach()
list(APPEND FLAGS -I${SRC_DIR}/include -I${SRC_DIR}/src)
foreach(d ${INCLUDE_DIRS})
  list(APPEND FLAGS -I${d})
endforeach()
set(ROOTS ${SHIM_DIR} ${SHIMS_AFTER})
foreach(d ${HEADER_ROOTS})
  list(APPEND ROOTS ${SRC_DIR}/${d})
endforeach()

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

  # 1. headers (the depfile lists the source, then every header it read)
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
    foreach(root ${ROOTS})
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
      message(SEND_ERROR "${rel} includes ${h}: not allowed in ${WHAT} (DESIGN §3)")
      set(failed 1)
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "freestanding check failed")
endif()

# 2. symbols: needed by some object, defined by none; 3. the entry points
execute_process(COMMAND ${NM} -u ${OBJECTS} OUTPUT_VARIABLE undef RESULT_VARIABLE rc1)
execute_process(COMMAND ${NM} --defined-only ${OBJECTS} OUTPUT_VARIABLE defs RESULT_VARIABLE rc2)
if(rc1 OR rc2)
  message(FATAL_ERROR "freestanding check: ${NM} failed")
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
    message(SEND_ERROR "${WHAT} does not define ${ep}")
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
set(external)
set(gp 0)
foreach(sym ${needed})
  list(FIND defined ${sym} i)
  if(i GREATER -1)
    continue()
  endif()
  list(APPEND external ${sym})
  list(FIND ALLOWED_SYMBOLS ${sym} j)
  if(j GREATER -1)
    continue()
  endif()
  if(ALLOW_GP AND sym MATCHES "^TEE_[A-Za-z0-9]+$")
    math(EXPR gp "${gp} + 1")
    continue()
  endif()
  # libgcc / EABI helper routines; the GOT symbol is defined by the linker
  # itself. (Not __cpu_model: __builtin_cpu_supports needs libgcc data a TA
  # does not have.)
  if(sym MATCHES "^__aeabi_[a-z0-9_]+$" OR sym MATCHES "^__[a-z]+[0-9]$" OR
     sym STREQUAL "_GLOBAL_OFFSET_TABLE_")
    continue()
  endif()
  list(APPEND bad ${sym})
endforeach()
if(bad)
  message(FATAL_ERROR "${WHAT} needs symbols a TA does not have: ${bad}")
endif()
if(failed)
  message(FATAL_ERROR "freestanding check failed")
endif()
list(LENGTH OBJECTS n)
if(ALLOW_GP)
  message(STATUS "freestanding (${CC}): ${n} sources of ${WHAT} OK, ${gp} GP functions used")
else()
  message(STATUS "freestanding (${CC}): ${n} sources of ${WHAT} OK; external symbols: ${external}")
endif()
