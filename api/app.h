#pragma once

#include <memory>

#include "api/router.h"
#include "workflow/database.h"
#include "workflow/engine.h"

namespace s2s::api {

// What the HTTP routes work with. Shared by every worker thread.
struct App {
  std::shared_ptr<workflow::Database> db;
  std::unique_ptr<workflow::Engine> engine;
};

// Registers every route of s2sd on `router`. `app` must outlive the router.
void register_routes(Router& router, App& app);

}  // namespace s2s::api
