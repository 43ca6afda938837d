// igsim — the simulator's request handling: routing, read endpoints,
// misbehaviour, gzip, statistics and the admin API. Transport-free: the
// Beast server (server.cpp) feeds it Requests and writes its Responses.
//
// Thread-safe: handle() may be called from any number of connections at
// once; state changes are serialised under one mutex, in arrival order
// (which is what makes misbehaviour reproducible for sequential clients).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth.hpp"
#include "behaviour.hpp"
#include "http_message.hpp"
#include "media_store.hpp"
#include "misbehaviour.hpp"
#include "world.hpp"

namespace igsim {

class App {
public:
    App(WorldOptions world, Behaviour behaviour, std::vector<BotAccount> accounts);

    /// Never throws: a handler failure becomes a 500 JSON body.
    Response handle(const Request& request);

    const World& world() const noexcept { return world_; }

private:
    Response dispatch(const Request& request);
    Response admin(const Request& request, std::string_view path);
    Response api(const Request& request, std::string_view path, const std::map<std::string, std::string>& params,
                 const std::map<std::string, std::string>& cookies);
    Response media(const Request& request, std::string_view name);
    Response graphql(const Request& request, const std::map<std::string, std::string>& params,
                     const std::string& viewer_id);
    void apply_gzip(const Request& request, Response& response) const;

    std::int64_t now() const;
    std::string stats_json() const;
    std::string world_json() const;

    const World world_;
    MediaStore media_;
    const Behaviour initial_behaviour_;

    std::mutex mutex_;  // guards everything below
    Behaviour behaviour_;
    Auth auth_;
    Misbehaviour misbehaviour_;
    std::uint64_t total_requests_ = 0;
    std::map<std::string, std::uint64_t> by_path_;
    std::map<std::string, std::uint64_t> by_session_;
    std::map<int, std::uint64_t> by_status_;
};

}  // namespace igsim
