#pragma once

#include "cli/common.h"

// The functions that run each command of s2sd, by the file that holds them;
// the command table in cli/commands.cpp gives each its words, summary and
// options. Each takes the settings and returns the exit status.
namespace s2s::cli {

using Run = int(const Settings& settings);

// clang-format off
namespace migrate_commands { Run run_backup, run_migrate; }
namespace calendar_commands { Run run_calendar_add, run_calendar_holidays, run_calendar_close, run_diagram, run_deadlines; }
namespace users_commands { Run run_user_sign_in_link, run_user_add, run_user_revoke, run_user_feed, run_user_notify; }
namespace providers_commands { Run run_alliance_add, run_system_leader_add, run_designation_add, run_capacity_set; }
namespace demo_commands { Run run_demo_load; }
namespace schools_commands { Run run_import_gias, run_import_ofsted, run_school_show, run_school_set; }
namespace match_commands { Run run_match; }
namespace notifications_commands { Run run_notifications, run_notifications_resend, run_notifications_list, run_webhook_add; }
namespace reports_commands { Run run_report_kpis, run_report_quarterly; }
namespace timers_commands { Run run_timers; }
namespace serve_commands { Run run_serve; }
// clang-format on

}  // namespace s2s::cli
