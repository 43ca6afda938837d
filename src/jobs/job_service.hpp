// Factory of the JobService (gramkit/jobs.hpp). The engine is the only
// caller: it owns everything in JobServiceDeps and outlives the service.
#pragma once

#include <memory>

#include "gramkit/events.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/log.hpp"
#include "storage/repositories.hpp"

namespace gramkit::jobs {

struct JobServiceDeps {
    storage::Backend& backend;
    std::shared_ptr<const Clock> clock;
    IdGenerator& ids;
    Logger& log;
    EventBus* events = nullptr;
};

std::unique_ptr<JobService> make_job_service(JobServiceDeps deps);

/// The lease owner name of this process's workers: "<host>:<pid>:<random>".
std::string make_worker_owner_name();

}  // namespace gramkit::jobs
