// Validation helpers shared by the account, proxy and session services.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gramkit/error.hpp"

namespace gramkit::accounts {

Status validate_email(std::string_view email);
/// Length check for a secret; the message names `field`, never the value.
Status validate_password(std::string_view password, std::string_view field = "password");
/// Validates each label and returns them sorted and de-duplicated.
Result<std::vector<std::string>> normalize_labels(const std::vector<std::string>& labels);
Status validate_limit(std::size_t limit);

}  // namespace gramkit::accounts
