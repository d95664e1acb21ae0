# SPDX-License-Identifier: Apache-2.0
cmake_minimum_required(VERSION 3.20)
#
# The cdl TA as OP-TEE's TA dev kit would build it, checked without a dev kit
# (docs/optee.md). Compiles every TA source (src/ta, the engine, the package
# reader) for aarch64 with the dev kit's code-generation flags for a 64-bit
# TA (optee_os core/arch/arm/arm.mk ta_arm64-platform-cflags, mk/compile.mk,
# mk/gcc.mk): -std=gnu11 -Os -fpic -mstrict-align -mno-outline-atomics,
# -nostdinc with only the compiler's include directory and
# tests/optee/include (stand-ins for OP-TEE's libutils headers), plus
# -ffreestanding; then, by MODE:
#
#   link   links the objects into one relocatable object (ld -r: references
#          between them resolve, duplicate definitions fail) and fails unless
#          (1) the five TA entry points are defined and (2) every symbol left
#          undefined is listed in allowed_symbols.txt -- GP Internal API,
#          OP-TEE libutils, libgcc, linker, or cdl's extensions -- with each
#          entry's own condition holding (see that file's header).
#          Also compiles src/tee/optee/cdl_tee_ext_optee.c against
#          tests/optee/optee_include (stand-ins for the OP-TEE headers it
#          uses) and checks its undefined symbols the same way.
#   stack  adds -ffunction-sections -fstack-usage -fcallgraph-info=su and
#          runs stack_usage.py: the worst call chain must fit in half of
#          TA_STACK_SIZE of src/tee/optee/user_ta_header_defines.h (the other
#          half is headroom: -O0 builds measure ~40% deeper).
#
# cmake -DMODE=link|stack -DCC=<aarch64 gcc> -DNM=<nm> -DLD=<ld>
#       -DREADELF=<readelf> -DSOURCES=<a.c|b.c|...> -DSRC_DIR=<repo>
#       -DOUT_DIR=<scratch> [-DDEFINES=<A=1|B>] [-DPYTHON=<python3>]
#       -P check_ta.cmake

foreach(v MODE CC NM LD SOURCES SRC_DIR OUT_DIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "optee check: ${v} not given")
  endif()
endforeach()
string(REPLACE "|" ";" SOURCES "${SOURCES}")
string(REPLACE "|" ";" DEFINES "${DEFINES}")
set(HERE ${CMAKE_CURRENT_LIST_DIR})

execute_process(COMMAND ${CC} -print-file-name=include
  OUTPUT_VARIABLE CC_INC OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(rc OR NOT IS_DIRECTORY "${CC_INC}")
  message(FATAL_ERROR "optee check: cannot find ${CC}'s include directory")
endif()
execute_process(COMMAND ${CC} -dumpmachine OUTPUT_VARIABLE machine
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT machine MATCHES "^aarch64")
  message(FATAL_ERROR "optee check: ${CC} targets ${machine}, not aarch64")
endif()

set(FLAGS -std=gnu11 -Os -fpic -mstrict-align -mno-outline-atomics
  -ffreestanding -nostdinc -isystem ${HERE}/include -isystem ${CC_INC}
  -DARM64=1 -D__LP64__=1
  -ffp-contract=off -fno-builtin-malloc -Wall -Wextra -Werror -Wno-unused-parameter
  -I${SRC_DIR}/include -I${SRC_DIR}/src -I${SRC_DIR}/src/ta/include -I${SRC_DIR}/src/tee/gp)
foreach(d ${DEFINES})
  list(APPEND FLAGS -D${d})
endforeach()
if(MODE STREQUAL "stack")
  list(APPEND FLAGS -ffunction-sections -fstack-usage -fcallgraph-info=su)
endif()

file(REMOVE_RECURSE ${OUT_DIR})
file(MAKE_DIRECTORY ${OUT_DIR})

set(OBJECTS)
set(failed 0)
foreach(src ${SOURCES})
  file(RELATIVE_PATH rel ${SRC_DIR} ${src})
  string(REPLACE "/" "_" obj ${rel})
  set(obj ${OUT_DIR}/${obj}.o)
  execute_process(COMMAND ${CC} ${FLAGS} -c ${src} -o ${obj}
    WORKING_DIRECTORY ${OUT_DIR}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(SEND_ERROR "${rel} does not compile as an OP-TEE TA source:\n${out}${err}")
    set(failed 1)
    continue()
  endif()
  list(APPEND OBJECTS ${obj})
endforeach()
if(failed)
  message(FATAL_ERROR "optee check: the TA does not compile for OP-TEE (above)")
endif()
list(LENGTH OBJECTS n_objects)

# ---------------------------------------------------------------------------
if(MODE STREQUAL "stack")
  foreach(v READELF PYTHON)
    if(NOT ${v})
      message(FATAL_ERROR "optee check: ${v} not given")
    endif()
  endforeach()
  file(STRINGS ${SRC_DIR}/src/tee/optee/user_ta_header_defines.h line
       REGEX "^#define TA_STACK_SIZE")
  if(NOT line MATCHES "\\(([0-9]+) \\* 1024\\)")
    message(FATAL_ERROR "optee check: no TA_STACK_SIZE (N * 1024) in user_ta_header_defines.h")
  endif()
  math(EXPR stack "${CMAKE_MATCH_1} * 1024")
  math(EXPR limit "${stack} / 2")
  execute_process(COMMAND ${PYTHON} ${HERE}/stack_usage.py ${OUT_DIR}
                          --readelf ${READELF} --limit ${limit} --top 40
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "optee.stack: the TA's worst stack depth (above) needs more than "
                        "half of TA_STACK_SIZE = ${stack} bytes")
  endif()
  message(STATUS "optee.stack: ${n_objects} sources; worst depth within ${limit} bytes "
                 "(half of TA_STACK_SIZE ${stack})")
  return()
endif()

# ---------------------------------------------------------------------------
# MODE link. The allowed list: <symbol> <kind> <source...> a line.
file(STRINGS ${HERE}/allowed_symbols.txt lines ENCODING UTF-8)
set(allowed)
set(gp_header ${SRC_DIR}/src/tee/gp/tee_internal_api.h)
set(ext_header ${SRC_DIR}/src/tee/gp/cdl_tee_ext.h)
set(ext_impl ${SRC_DIR}/src/tee/optee/cdl_tee_ext_optee.c)
file(READ ${gp_header} gp_text)
file(READ ${ext_header} ext_text)
file(READ ${ext_impl} impl_text)
execute_process(COMMAND ${CC} -print-libgcc-file-name OUTPUT_VARIABLE libgcc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
set(libgcc_defs "")
foreach(line ${lines})
  if(line MATCHES "^[ \t]*(#|$)")
    continue()
  endif()
  if(NOT line MATCHES "^([A-Za-z_][A-Za-z0-9_]*)[ \t]+([a-z-]+)[ \t]+(.+)$")
    message(FATAL_ERROR "allowed_symbols.txt: cannot read \"${line}\"")
  endif()
  set(sym ${CMAKE_MATCH_1})
  set(kind ${CMAKE_MATCH_2})
  # Each kind's own condition.
  if(kind STREQUAL "gp")
    if(NOT gp_text MATCHES "[ *]${sym}\\(")
      message(FATAL_ERROR "allowed_symbols.txt: ${sym} (gp) is not declared in "
                          "src/tee/gp/tee_internal_api.h")
    endif()
  elseif(kind STREQUAL "cdl-ext")
    if(NOT ext_text MATCHES "[ *]${sym}\\(" OR NOT impl_text MATCHES "\n[^\n]*[ *]${sym}\\([^;]*\n{")
      message(FATAL_ERROR "allowed_symbols.txt: ${sym} (cdl-ext) must be declared in "
                          "src/tee/gp/cdl_tee_ext.h and defined in src/tee/optee/cdl_tee_ext_optee.c")
    endif()
  elseif(kind STREQUAL "libgcc")
    if(libgcc_defs STREQUAL "")
      execute_process(COMMAND ${NM} --defined-only ${libgcc} OUTPUT_VARIABLE libgcc_defs
                      RESULT_VARIABLE rc)
    endif()
    if(NOT libgcc_defs MATCHES " T ${sym}\n")
      message(FATAL_ERROR "allowed_symbols.txt: ${sym} (libgcc) is not defined in ${libgcc}")
    endif()
  elseif(NOT kind MATCHES "^(libutils|linker)$")
    message(FATAL_ERROR "allowed_symbols.txt: unknown kind \"${kind}\" for ${sym}")
  endif()
  list(APPEND allowed ${sym})
endforeach()

# Undefined symbols of a set of objects, after linking them together.
function(undefined_of out_var combined)
  execute_process(COMMAND ${LD} -r -o ${combined} ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "optee.link: the TA's objects do not link together:\n${out}${err}")
  endif()
  execute_process(COMMAND ${NM} -u ${combined} OUTPUT_VARIABLE undef RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "optee.link: ${NM} failed on ${combined}")
  endif()
  string(REGEX REPLACE "[ \t]*U[ \t]+" "" undef "${undef}")
  string(REGEX REPLACE "[\r\n]+" ";" undef "${undef}")
  list(REMOVE_ITEM undef "")
  set(${out_var} ${undef} PARENT_SCOPE)
endfunction()

undefined_of(needed ${OUT_DIR}/ta.o ${OBJECTS})

# (1) the entry points OP-TEE's libutee calls
execute_process(COMMAND ${NM} --defined-only ${OUT_DIR}/ta.o OUTPUT_VARIABLE defs)
set(missing_entries)
if(DEFINED CDL_TA_PRESENT AND NOT CDL_TA_PRESENT)
  message(STATUS "optee.link: src/ta not present: engine and reader only")
else()
  foreach(ep TA_CreateEntryPoint TA_DestroyEntryPoint TA_OpenSessionEntryPoint
             TA_CloseSessionEntryPoint TA_InvokeCommandEntryPoint)
    if(NOT defs MATCHES " T ${ep}\n")
      list(APPEND missing_entries ${ep})
    endif()
  endforeach()
endif()

# (2) every undefined symbol allowed
set(bad)
foreach(sym ${needed})
  if(NOT sym IN_LIST allowed)
    list(APPEND bad ${sym})
  endif()
endforeach()

# The OP-TEE implementation of cdl's extensions, against stand-ins of the
# OP-TEE headers it includes: it may also call the GP TA-to-TA functions,
# the property functions and libutils' malloc_get_stats.
set(ext_allowed ${allowed} TEE_OpenTASession TEE_InvokeTACommand TEE_CloseTASession
  TEE_GetPropertyAsU32 malloc_get_stats)
set(ext_bad)
foreach(stats 1 0)
  set(ext_obj ${OUT_DIR}/cdl_tee_ext_optee_${stats}.o)
  execute_process(COMMAND ${CC} -std=gnu11 -Os -fpic -mstrict-align -mno-outline-atomics
      -ffreestanding -nostdinc -isystem ${HERE}/include -isystem ${CC_INC}
      -Wall -Wextra -Werror -Wno-unused-parameter -DCDL_OPTEE_HEAP_STATS=${stats}
      -I${HERE}/optee_include -I${SRC_DIR}/src/tee/optee/include
      -c ${ext_impl} -o ${ext_obj}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "optee.link: src/tee/optee/cdl_tee_ext_optee.c "
                        "(CDL_OPTEE_HEAP_STATS=${stats}) does not compile:\n${out}${err}")
  endif()
  undefined_of(ext_needed ${OUT_DIR}/ext_${stats}.o ${ext_obj})
  foreach(sym ${ext_needed})
    if(NOT sym IN_LIST ext_allowed)
      list(APPEND ext_bad ${sym})
    endif()
  endforeach()
endforeach()

# The TA header's properties, as the dev kit's user_ta_header.c reads them.
execute_process(COMMAND ${CC} -std=gnu11 -Os -fpic -ffreestanding -nostdinc
    -isystem ${HERE}/include -isystem ${CC_INC} -Wall -Wextra -Werror
    -I${HERE}/optee_include -I${SRC_DIR}/src/tee/optee -I${SRC_DIR}/src/ta/include
    -c ${HERE}/ta_header_check.c -o ${OUT_DIR}/ta_header_check.o
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc)
  message(FATAL_ERROR "optee.link: src/tee/optee/user_ta_header_defines.h does not "
                      "make a TA header:\n${out}${err}")
endif()

if(missing_entries OR bad OR ext_bad)
  foreach(sym ${bad})
    # Name the objects that want it.
    set(users)
    foreach(obj ${OBJECTS})
      execute_process(COMMAND ${NM} -u ${obj} OUTPUT_VARIABLE u)
      if(u MATCHES "U ${sym}\n")
        get_filename_component(o ${obj} NAME_WE)
        list(APPEND users ${o})
      endif()
    endforeach()
    message("  ${sym}: needed by ${users}")
  endforeach()
  message(FATAL_ERROR "optee.link FAILED: "
    "${n_objects} TA sources need symbols an OP-TEE TA does not have: [${bad}]; "
    "cdl_tee_ext_optee.c needs: [${ext_bad}]; entry points missing: [${missing_entries}]. "
    "A TA gets only the GP Internal API, libutils' string functions and libgcc "
    "(tests/optee/allowed_symbols.txt): no libm, no stdio, no POSIX.")
endif()
list(LENGTH needed n_needed)
list(LENGTH allowed n_allowed)
message(STATUS "optee.link: ${n_objects} TA sources link as an OP-TEE TA; "
               "${n_needed} external symbols, all allowed (${n_allowed} listed): ${needed}")
