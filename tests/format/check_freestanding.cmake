# format.freestanding: compiles the package reader as a TA would, with only
cmake_minimum_required(VERSION 3.20)
# the compiler's freestanding headers and tests/format/freestanding_include,
# then checks (1) which headers it pulled in and (2) which symbols it needs.
# Arguments: CC CC_INCLUDE SHIM REPO SOURCE WORK.
file(MAKE_DIRECTORY ${WORK})
set(obj ${WORK}/reader.o)
set(dep ${WORK}/reader.d)
execute_process(
  COMMAND ${CC} -std=gnu11 -ffreestanding -nostdinc -fno-stack-protector -O2
          -Wall -Wextra -Werror -Wno-unused-parameter
          -isystem ${CC_INCLUDE} -isystem ${SHIM}
          -I${REPO}/include -I${REPO}/src
          -c ${SOURCE} -o ${obj} -MD -MF ${dep}
  RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "reader.c does not compile freestanding:\n${out}${err}")
endif()

# (1) Headers: our own, the shim, or an allowed compiler header.
set(allowed stddef.h stdint.h stdbool.h limits.h float.h
    stdint-gcc.h syslimits.h __stddef_max_align_t.h)
file(READ ${dep} deps)
string(REPLACE "\\\n" " " deps "${deps}")
string(REGEX REPLACE "^[^:]*:" "" deps "${deps}")
string(REGEX REPLACE "[ \t\r\n]+" ";" deps "${deps}")
get_filename_component(repo_real ${REPO} REALPATH)
get_filename_component(shim_real ${SHIM} REALPATH)
get_filename_component(cc_real ${CC_INCLUDE} REALPATH)
set(bad "")
foreach(d IN LISTS deps)
  if(d STREQUAL "" OR d MATCHES "\\.c$")
    continue()
  endif()
  get_filename_component(real ${d} REALPATH)
  get_filename_component(name ${d} NAME)
  if(real MATCHES "^${repo_real}/(include/cdl|src/format)/" OR real MATCHES "^${shim_real}/")
    continue()
  endif()
  if(real MATCHES "^${cc_real}/" AND name IN_LIST allowed)
    continue()
  endif()
  list(APPEND bad ${d})
endforeach()
if(bad)
  message(FATAL_ERROR "reader.c includes headers outside the freestanding set: ${bad}")
endif()

# (2) Symbols: nothing but the shim's functions may be left undefined.
find_program(NM NAMES nm llvm-nm)
if(NOT NM)
  message(FATAL_ERROR "nm not found")
endif()
execute_process(COMMAND ${NM} -u ${obj} RESULT_VARIABLE rc OUTPUT_VARIABLE syms)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${obj}")
endif()
string(REGEX REPLACE "[ \t]*U[ \t]+" "" syms "${syms}")
string(REGEX REPLACE "[\r\n]+" ";" syms "${syms}")
set(allowed_syms memcpy memmove memset memcmp strlen)
set(bad "")
foreach(s IN LISTS syms)
  if(s STREQUAL "")
    continue()
  endif()
  if(NOT s IN_LIST allowed_syms)
    list(APPEND bad ${s})
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "reader.o needs symbols a TA does not have: ${bad}")
endif()
message(STATUS "reader.c is freestanding (headers and symbols checked)")
