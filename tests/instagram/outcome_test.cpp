// classify_response on the project's own login/error bodies, and the
// ApiErrorKind → ErrorCode mapping.
#include <gtest/gtest.h>

#include "fixture_files.hpp"
#include "instagram/parse.hpp"

namespace gramkit::instagram {
namespace {

using testing::own_fixture;

LoginResult classify_fixture(int status, std::string_view name) { return classify_response(status, own_fixture(name)); }

TEST(Outcome, WebLoginOk) {
    const auto r = classify_fixture(200, "login_ok_web.json");
    EXPECT_EQ(r.kind, ApiErrorKind::ok);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.user_id, "4242");
    EXPECT_EQ(r.http_status, 200);
}

TEST(Outcome, PrivateApiLoginOkKeepsLargeUserId) {
    const auto r = classify_fixture(200, "login_ok_private_api.json");
    EXPECT_EQ(r.kind, ApiErrorKind::ok);
    EXPECT_EQ(r.user_id, "18000000000000000001");
}

TEST(Outcome, BadPasswordPrivateApi) {
    const auto r = classify_fixture(400, "login_bad_password_private_api.json");
    EXPECT_EQ(r.kind, ApiErrorKind::bad_password);
    EXPECT_EQ(r.error_type, "bad_password");
    EXPECT_EQ(r.message, "The password you entered is incorrect. Please try again.");
}

TEST(Outcome, InvalidUserWeb) {
    EXPECT_EQ(classify_fixture(200, "login_invalid_user_web.json").kind, ApiErrorKind::invalid_user);
}

TEST(Outcome, TwoFactorWithMethods) {
    const auto r = classify_fixture(400, "login_two_factor_web.json");
    EXPECT_EQ(r.kind, ApiErrorKind::two_factor_required);
    EXPECT_EQ(r.two_factor_identifier, "TFid123");
    EXPECT_EQ(r.two_factor_methods, (std::vector<TwoFactorMethod>{TwoFactorMethod::sms, TwoFactorMethod::totp}));
}

TEST(Outcome, CheckpointWithUrl) {
    const auto r = classify_fixture(400, "checkpoint_required.json");
    EXPECT_EQ(r.kind, ApiErrorKind::checkpoint_required);
    EXPECT_EQ(r.checkpoint_url, "/challenge/4242/AbCd/");
}

TEST(Outcome, ChallengeWithUrl) {
    const auto r = classify_fixture(400, "challenge_required_private_api.json");
    EXPECT_EQ(r.kind, ApiErrorKind::challenge_required);
    EXPECT_EQ(r.checkpoint_url, "https://i.instagram.com/challenge/4242/XyZ/");
}

TEST(Outcome, PleaseWaitVersusRateLimit) {
    // The same text is a soft block with 400/401 and a rate limit with 429.
    EXPECT_EQ(classify_fixture(401, "please_wait.json").kind, ApiErrorKind::please_wait);
    EXPECT_EQ(classify_fixture(429, "please_wait.json").kind, ApiErrorKind::rate_limited);
}

TEST(Outcome, RateLimitedHtmlBody) {
    const auto r = classify_response(429, "<html><body>Too Many Requests</body></html>");
    EXPECT_EQ(r.kind, ApiErrorKind::rate_limited);
    EXPECT_NE(r.message.find("not usable JSON"), std::string::npos) << r.message;
}

TEST(Outcome, FeedbackRequired) {
    const auto r = classify_fixture(400, "feedback_required.json");
    EXPECT_EQ(r.kind, ApiErrorKind::feedback_required);
    EXPECT_EQ(r.feedback_message, "This action was blocked. Please try again later.");
}

TEST(Outcome, LoginRequired) {
    EXPECT_EQ(classify_fixture(403, "login_required.json").kind, ApiErrorKind::login_required);
}

TEST(Outcome, GenericErrorsListIsTheMessage) {
    const auto r = classify_fixture(200, "generic_request_error.json");
    EXPECT_EQ(r.kind, ApiErrorKind::generic);
    EXPECT_EQ(r.message, "Sorry, there was a problem with your request.");
    EXPECT_EQ(r.error_type, "generic_request_error");
}

TEST(Outcome, GenericFail) {
    const auto r = classify_fixture(400, "generic_fail.json");
    EXPECT_EQ(r.kind, ApiErrorKind::generic);
    EXPECT_EQ(r.message, "Something odd happened");
}

TEST(Outcome, NotJsonIsGeneric) {
    for (std::string_view body : {"", "not json", "{\"message\": \"checkpoint_required\"", "[1,2]", "\"str\""}) {
        const auto r = classify_response(500, body);
        EXPECT_EQ(r.kind, ApiErrorKind::generic) << body;
        EXPECT_FALSE(r.message.empty()) << body;
    }
}

TEST(Outcome, WrongTypesAreToleratedNotFatal) {
    // A "user" object (other endpoints) and a numeric message do not break it.
    const auto r = classify_response(200, R"({"user": {"pk": 1}, "message": 5, "status": "ok"})");
    EXPECT_EQ(r.kind, ApiErrorKind::ok);
}

TEST(ErrorMapping, EveryKindMapsAsDocumented) {
    struct Row {
        ApiErrorKind kind;
        ErrorCode code;
        std::string_view name;
    };
    const Row rows[] = {
        {ApiErrorKind::ok, ErrorCode::ok, "ok"},
        {ApiErrorKind::bad_password, ErrorCode::unauthenticated, "bad_password"},
        {ApiErrorKind::invalid_user, ErrorCode::unauthenticated, "invalid_user"},
        {ApiErrorKind::login_required, ErrorCode::unauthenticated, "login_required"},
        {ApiErrorKind::two_factor_required, ErrorCode::failed_precondition, "two_factor_required"},
        {ApiErrorKind::checkpoint_required, ErrorCode::failed_precondition, "checkpoint_required"},
        {ApiErrorKind::challenge_required, ErrorCode::failed_precondition, "challenge_required"},
        {ApiErrorKind::please_wait, ErrorCode::rate_limited, "please_wait"},
        {ApiErrorKind::rate_limited, ErrorCode::rate_limited, "rate_limited"},
        {ApiErrorKind::feedback_required, ErrorCode::rate_limited, "feedback_required"},
        {ApiErrorKind::generic, ErrorCode::upstream_error, "generic"},
    };
    for (const Row& row : rows) {
        EXPECT_EQ(to_error_code(row.kind), row.code) << row.name;
        EXPECT_EQ(to_string(row.kind), row.name);
    }
}

TEST(ErrorMapping, ToErrorCarriesKindAndMessage) {
    LoginResult outcome;
    outcome.kind = ApiErrorKind::please_wait;
    outcome.message = "Please wait a few minutes before you try again.";
    const Error e = to_error(outcome);
    EXPECT_EQ(e.code, ErrorCode::rate_limited);
    EXPECT_EQ(e.message, "instagram: please_wait: Please wait a few minutes before you try again.");
    EXPECT_EQ(e.details, "please_wait");
}

TEST(ErrorMapping, DataParsersReturnTheClassifiedErrorForErrorBodies) {
    // A "status":"fail" body where a profile was expected: the cause, not "data.user missing".
    const auto profile = parse_web_profile_info(own_fixture("please_wait.json"));
    ASSERT_FALSE(profile);
    EXPECT_EQ(profile.error().code, ErrorCode::rate_limited);
    EXPECT_EQ(profile.error().details, "please_wait");

    const auto timeline = parse_user_timeline(own_fixture("login_required.json"));
    ASSERT_FALSE(timeline);
    EXPECT_EQ(timeline.error().code, ErrorCode::unauthenticated);

    const auto hashtag = parse_hashtag(own_fixture("checkpoint_required.json"));
    ASSERT_FALSE(hashtag);
    EXPECT_EQ(hashtag.error().code, ErrorCode::failed_precondition);
}

}  // namespace
}  // namespace gramkit::instagram
