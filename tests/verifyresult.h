#pragma once

#include <QTest>

#include "core/result.h"

// Verifies that a Result (core/result.h) holds a value or succeeded, and prints its message
// when it did not: the QVERIFY2(call(&error), qPrintable(error)) of the old convention.
//     const Result<Chain> chain = store.load(2);
//     VERIFY_RESULT(chain);
//     VERIFY_RESULT(store.open());   // when only success matters
#define VERIFY_RESULT(expression) \
    do { \
        const auto &verifiedResult_ = (expression); \
        QVERIFY2(verifiedResult_.ok(), qPrintable(verifiedResult_.errorMessage())); \
    } while (false)
