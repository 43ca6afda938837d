// Changing igsim's behaviour from a test through its admin API
// (POST /__igsim/config, tools/igsim/README.md), over HTTPS with igsim's CA.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "net/http_client.hpp"

namespace gramkit::testing {

/// Posts `json` (keys of POST /__igsim/config) to the igsim at `base_url`;
/// success when igsim answered 200.
inline ::testing::AssertionResult configure_igsim(const std::string& base_url, const std::string& ca_file,
                                                  const std::string& json) {
    net::ClientOptions options;
    options.ca_file = ca_file;
    auto client = net::HttpClient::create(options);
    if (!client) return ::testing::AssertionFailure() << client.error().to_string();
    net::HttpRequest r;
    r.method = "POST";
    r.url = base_url + "/__igsim/config";
    r.body = json;
    r.headers.emplace_back("Content-Type", "application/json");
    auto response = (*client)->send(r);
    if (!response) return ::testing::AssertionFailure() << response.error().to_string();
    if (response->status != 200) return ::testing::AssertionFailure() << response->status << " " << response->body;
    return ::testing::AssertionSuccess();
}

}  // namespace gramkit::testing
