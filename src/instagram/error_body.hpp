// gramkit — what a data parser returns when the document it expected is
// missing (private to src/instagram).
//
// Instagram often answers a data request with an error body and HTTP 200
// or 4xx (`{"message":"Please wait a few minutes...","status":"fail"}`,
// `{"message":"login_required","status":"fail"}`). Reporting that as
// "data.user missing" would hide the real cause from the account-health
// logic, so a body marked "status":"fail" is classified instead.
#pragma once

#include <string_view>

#include "instagram/json_walk.hpp"

namespace gramkit::instagram::detail {

/// Classified error when `status_fail`, else upstream_error "expected
/// <what> at '<where>'".
std::unexpected<Error> missing_document(std::string_view body, bool status_fail, const walk::JsonPath& where,
                                        std::string_view what);

/// Reads a root "status" member: sets `status_fail` when it is "fail".
/// Tolerant: a status of another type is ignored (it is not what we parse).
Status note_status(walk::od::value& value, bool& status_fail);

}  // namespace gramkit::instagram::detail
