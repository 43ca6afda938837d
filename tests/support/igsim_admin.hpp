// Tests against igsim: an engine configuration that points at it, and
// changing its behaviour through its admin API (POST /__igsim/config,
// tools/igsim/README.md) over HTTPS with igsim's CA.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gramkit/engine.hpp"
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

/// An engine configuration pointed at an igsim (both Instagram hosts),
/// trusting its CA, on `clock`, logging everything at debug into `sink`.
inline EngineConfig igsim_engine_config(const std::string& data_dir, const std::string& base_url,
                                        const std::string& ca_file, std::shared_ptr<const Clock> clock, LogSink sink) {
    EngineConfig cfg;
    cfg.data_dir = data_dir;
    cfg.clock = std::move(clock);
    cfg.log_sink = std::move(sink);
    cfg.log_level = LogLevel::debug;
    cfg.http_ca_file = ca_file;
    cfg.instagram.web_base_url = base_url;
    cfg.instagram.api_base_url = base_url;
    return cfg;
}

}  // namespace gramkit::testing
