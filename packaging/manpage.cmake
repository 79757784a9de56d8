# Writes OUTPUT (blockforge.1) and OUTPUT.gz from `BLOCKFORGE --man-page`: the man page
# is made from the texts of --help, never written by hand.
#   cmake -DBLOCKFORGE=<executable> -DOUTPUT=<path> -P manpage.cmake
execute_process(COMMAND ${BLOCKFORGE} --man-page
    OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE result ERROR_VARIABLE error)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "${BLOCKFORGE} --man-page failed (${result}): ${error}")
endif()
# -n: no name or time stamp inside, so the same page gives the same bytes.
execute_process(COMMAND gzip -9nkf ${OUTPUT} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "gzip ${OUTPUT} failed (${result})")
endif()
