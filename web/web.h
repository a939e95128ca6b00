#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/app.h"
#include "api/router.h"
#include "cases/sign_in.h"

// The web application (docs/web.md): server-rendered pages for schools,
// system leaders, leads and LA officers, outside /api/v1, on the same server.
// An adapter like api/: it calls the same domain functions and holds no SQL.
namespace s2s::web {

class LinkMailer;

struct WebOptions {
  cases::SessionPolicy sessions;
  // Served over https: cookies are Secure and __Host- prefixed.
  bool secure_cookies = false;
  // Sign-in requests per client address: sustained rate and burst. More get
  // the same answer and send nothing.
  double sign_in_per_second = 0.2;
  double sign_in_burst = 10;
  // An area is a cold spot below this many free days per school in need (docs/need.md).
  double cold_spot_days = 10;
};

// Registers every page, the sign-in routes and the assets on `router`, and
// makes the router's answer for an unknown path outside /api/ an HTML page.
// `app`, `options` and `mailer` must outlive the router; `mailer` may be null
// (no SMTP: sign-in links are not sent, and the page says nothing different).
void register_web_routes(api::Router& router, api::App& app, const WebOptions& options, LinkMailer* mailer);

// The paths that take a GIAS extract: the API's and the admin console's.
[[nodiscard]] std::vector<std::string> upload_paths();
// Who may send an upload's worth of body (api::ServerOptions::may_upload):
// an administrator, by bearer token or by a live session. `app` and
// `options` must outlive the server.
[[nodiscard]] std::function<bool(const api::HttpRequest& head)> may_upload(api::App& app, const WebOptions& options);

}  // namespace s2s::web
