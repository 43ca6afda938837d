// Assertions on gramkit::Result / Status for GoogleTest suites: they print
// the error (code and message) when a call that should succeed fails, and
// check the code when one should fail. Shared by the storage suites.
#pragma once

#include <gtest/gtest.h>

#include "gramkit/error.hpp"

#define GK_EXPECT_OK(expr)                                                                       \
    do {                                                                                         \
        const auto& gk_r_ = (expr);                                                              \
        EXPECT_TRUE(gk_r_.has_value()) << #expr << " failed: " << gk_r_.error().to_string();    \
    } while (0)

#define GK_ASSERT_OK(expr)                                                                       \
    do {                                                                                         \
        const auto& gk_r_ = (expr);                                                              \
        ASSERT_TRUE(gk_r_.has_value()) << #expr << " failed: " << gk_r_.error().to_string();    \
    } while (0)

// Declares `lhs` from a Result, failing the test (and returning) on error.
#define GK_ASSERT_OK_AND_ASSIGN(lhs, expr) GK_ASSERT_OK_AND_ASSIGN_IMPL_(GK_CONCAT_(gk_t_, __LINE__), lhs, expr)
#define GK_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                                           \
    auto tmp = (expr);                                                                           \
    ASSERT_TRUE(tmp.has_value()) << #expr << " failed: " << tmp.error().to_string();             \
    lhs = std::move(tmp).value()

#define GK_EXPECT_CODE(expr, expected_code)                                                      \
    do {                                                                                         \
        const auto& gk_r_ = (expr);                                                              \
        if (gk_r_.has_value()) {                                                                 \
            ADD_FAILURE() << #expr << " unexpectedly succeeded";                                 \
        } else {                                                                                 \
            EXPECT_EQ(gk_r_.error().code, (expected_code)) << gk_r_.error().to_string();         \
        }                                                                                        \
    } while (0)
