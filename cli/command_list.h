#pragma once

#include "cli/common.h"

// Every command of s2sd that needs nothing beyond cli/common.h, by group; the
// notification and timer commands, which share options with serve, are in
// cli/notifications.h and cli/timers.h. cli/commands.cpp lists them all.
namespace s2s::cli {

// The commands over the working-day calendar and the deadlines it times, and
// the case kinds' machines. All but calendar close read no database.

// s2sd calendar add-working-days DATE N: the Nth working day after DATE.
[[nodiscard]] Command calendar_add_working_days_command();
// s2sd calendar holidays YEAR: the year's England and Wales bank holidays.
[[nodiscard]] Command calendar_holidays_command();
// s2sd calendar close DATE: an admin closure day; open deadlines move past it.
[[nodiscard]] Command calendar_close_command();
// s2sd diagram KIND: a case kind's state machine as Mermaid.
[[nodiscard]] Command diagram_command();
// s2sd deadlines: every deadline, its working days in force, owner and source.
[[nodiscard]] Command deadlines_command();

// The commands over users and their tokens (cases/users.h holds the users).

// s2sd user add: creates a user and prints its bearer token alone on the last line.
[[nodiscard]] Command user_add_command();
// s2sd user revoke EMAIL: revokes every token of that user.
[[nodiscard]] Command user_revoke_command();
// user sign-in-link: a one-time web sign-in link, printed.
[[nodiscard]] Command user_sign_in_link_command();
// s2sd user feed EMAIL: a calendar feed URL of the user's deadlines.
[[nodiscard]] Command user_feed_command();
// s2sd user notify EMAIL immediate|digest: how the user hears of their cases.
[[nodiscard]] Command user_notify_command();

// The commands an admin records providers with: alliances, system leaders,
// their designations and the days they offer.

// s2sd alliance add: an alliance led by a teaching school already imported.
[[nodiscard]] Command alliance_add_command();
// s2sd system-leader add: a system leader with a home school and perhaps an alliance.
[[nodiscard]] Command system_leader_add_command();
// s2sd designation add: a system leader's designation, active from a date.
[[nodiscard]] Command designation_add_command();
// s2sd capacity set: the days a system leader offers in an academic year.
[[nodiscard]] Command capacity_set_command();

// The commands over schools: the GIAS import, and what GIAS lacks.

// s2sd import gias FILE.csv: upserts schools from a GIAS extract by URN.
[[nodiscard]] Command import_gias_command();
// s2sd school show URN: a school as the KPIs see it.
[[nodiscard]] Command school_show_command();
// s2sd school set URN: an admin's edit of what GIAS lacks, then the school as it now is.
[[nodiscard]] Command school_set_command();

// The reports for the strategic group and the leads.

// s2sd report kpis: the action plans' KPIs for an academic year, as a table,
// CSV, or one KPI explained.
[[nodiscard]] Command report_kpis_command();
// s2sd report quarterly: the quarterly progress report, as Markdown or HTML,
// to standard output or written whole to a file.
[[nodiscard]] Command report_quarterly_command();

// s2sd match --case ID|REFERENCE: the system leaders who could take a case,
// ranked with each score explained, and those excluded with the reasons.
[[nodiscard]] Command match_command();

// s2sd demo load: the demo data set, into a database without cases, and a
// bearer token for a demo user of each role.
[[nodiscard]] Command demo_load_command();

// s2sd migrate: applies the pending migrations; with --status lists applied
// and pending ones and exits 3 when any is pending.
[[nodiscard]] Command migrate_command();
// s2sd backup --to FILE: an online copy of an SQLite database in a new file.
[[nodiscard]] Command backup_command();

// s2sd serve: the one composition root. It opens (and migrates) the database,
// builds the engine, starts the timer service and the notification dispatcher,
// registers the API's routes and runs the HTTP server until SIGTERM or SIGINT.
[[nodiscard]] Command serve_command();

}  // namespace s2s::cli
