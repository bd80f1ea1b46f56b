// The help texts of the `troupe` command: every option and environment variable, in one place so
// `troupe --help`, `troupe help start` and `troupe start --help` never drift apart.

import { consoleHelp } from "../console/parseConsoleLine.ts";

const ENVIRONMENT = `Environment:
  TROUPE_HTTP_HOST      Address of the HTTP server (default 127.0.0.1)
  TROUPE_HTTP_PORT      Port of the HTTP server; 0 picks a free one (default 9464)
  TROUPE_HTTP_ALLOWED_HOSTS  Host names requests may use besides loopback names and IP addresses
                        (comma-separated; .lan allows every name under lan); others get 421
  TROUPE_HTTP_TOKEN     The token /inspect needs (16+ characters); beyond loopback without it,
                        troupe makes one and prints the visualizer's address once on stdout
  TROUPE_LOG_LEVEL      debug, info, warn or error (default info); set, logs are JSON lines on stderr
                        even in a terminal
  TROUPE_DRAIN_TIMEOUT  How long running tasks may take to finish when troupe stops (default 30s)
  TROUPE_V8_PRETENURING on keeps V8's allocation-site pretenuring, which troupe turns off: on, a long
                        run takes more CPU a task and longer scavenges (default off)
  REDIS_URL             redis://[user:password@]host:port[/db]: keep the work on Redis, shared by
                        every host on it (default: unset, the embedded SQLite file). The password is
                        never printed or logged.
  TROUPE_DATA_DIR       Folder of the embedded store, <namespace>.sqlite in it (default .troupe in
                        the working directory)
  TROUPE_NAMESPACE      Separates teams sharing one Redis or one data folder (default default)
  TROUPE_CONSUMER       This host's name on the work queue, stable across restarts so a restarted
                        host resumes its own tasks (default the machine's host name; a start under
                        a name a live host holds on the same store is refused)
  TROUPE_LEASE          How long a host may go silent before another takes its tasks over
                        (default 30s)
  TROUPE_MAX_TASK_BYTES The largest task taken from any entry, JSON-encoded: bytes, or with KB or
                        MB, from 1KB to 16MB (default 1MB)
  TROUPE_MAX_ATTEMPTS   Deliveries of a failing task before it is kept as a dead letter (default 5)
  TROUPE_RETRY_BACKOFF  First wait before a task that failed for a transient reason is tried
                        again; doubles per attempt, up to 1m, 5 attempts (default 1s)
  TROUPE_TEAM_RESTART   First wait before a team that escalated (its agents kept crashing) restarts;
                        doubles per escalation in a row, up to 1m (default 1s)
  TROUPE_AGENTS         Agents that need a local model, added to the team: orchestrator, research,
                        code, consensus (comma-separated); each uses MODEL_<ROLE> on OLLAMA_HOST
                        (see troupe models). With the orchestrator, what no rule routes goes to it
                        and its model picks the agent (else echo takes it)
  TROUPE_TRACE_DIR      Folder of the trace every task is recorded in, for troupe replay (default
                        <data dir>/traces; "off" records nothing)
  TROUPE_TRACE_RETAIN   Trace files kept, the newest; a new one starts each start, day and 64 MiB
                        (default 14)
  MODEL_TIMEOUT         How long one model call may take before its task fails (default 5m);
                        MODEL_TIMEOUT_<ROLE> for one role, e.g. MODEL_TIMEOUT_RESEARCH=3m
  DISCORD_TOKEN         The bot's token: set, troupe runs on Discord instead of the local console.
                        Never printed or logged; read from the environment only.
  DISCORD_CHANNELS      Channels Troupe reads (required with a token): channel=agent for a channel
                        that feeds one agent, a channel alone for a general one, e.g.
                        "research=research,code-review=code,general"
  DISCORD_GUILD_ID      Only this server's messages are taken (default: every server of the bot)
  DISCORD_APPLICATION_ID  The application's id
  DISCORD_APPROVER_ROLES  Roles (names or ids, comma-separated) allowed to approve
  DISCORD_THREAD_ARCHIVE  Inactivity before a task's thread is archived: 1h, 1d, 3d or 1w (default 1d)
  DISCORD_PRIVACY       true: post metadata only (task id, agent, state, timing) (default false)
  DISCORD_API_URL       REST base of a Discord-compatible server (default https://discord.com/api)
  TROUPE_GATEWAY_LEASE  With REDIS_URL: only the host holding the gateway lease in Redis connects to
                        Discord, the others stand by (and still run queued tasks; the holder asks
                        their questions, approvals and votes in the tasks' threads); a dead holder's
                        lease runs out after this long and a standby takes over (default 15s, at
                        least 1s; renewed every third of it; a clean stop hands it over at once)
  DISCORD_CONFIG        A JSON file with the same settings (applicationId, guildId, channels,
                        approverRoles, threadAutoArchive, apiUrl, privacy); variables win over it
  TROUPE_DISCORD_FALLBACK_DIR  Where outgoing Discord messages wait while Discord's REST keeps
                        failing, replayed in order when it is back or at the next start (default
                        <data dir>/discord-fallback; refused ones go to its rejected/ folder)

Notifier (alerts; environment only, see docs/alerts.md; a bad value is logged and
that sink left out, troupe runs on):
  TROUPE_NOTIFY_DISCORD_WEBHOOK  A Discord webhook URL (a secret: never printed)
  TROUPE_NOTIFY_KAKAOWORK_APP_KEY, TROUPE_NOTIFY_KAKAOWORK_CONVERSATION  A KakaoWork bot
  KAKAO_REST_API_KEY, KAKAO_REDIRECT_URI, KAKAO_CLIENT_SECRET  KakaoTalk "send to me" (troupe kakao
                        login); KAKAO_TOKEN_FILE seeds the tokens; KAKAO_LINK_URL links long alerts
  TROUPE_NOTIFY_WEBHOOK_URL  A generic HTTP webhook (JSON, Idempotency-Key)
  TROUPE_NOTIFY_FILE_DIR  The file drop, always last (default <data dir>/alerts)
  TROUPE_NOTIFY_ORDER   Fallback order, e.g. discord,kakaowork,kakao,file (default: that order)
  TROUPE_QUIET_HOURS    Per sink, e.g. kakao=22:00-07:00 (TROUPE_NOTIFY_TIMEZONE, default local)
  TROUPE_NOTIFY_BATCH   Per sink digest window, e.g. kakao=15m
  TROUPE_MONITOR_THRESHOLDS  The system monitor's alert lines over its defaults, as
                        <name>=<high>[:<low>], e.g. diskUsed=0.95:0.9,loadPerCpu=2

  A command-line option wins over its environment variable.`;

export const mainUsage = `troupe: run a team of agents (Troupe) behind a local console and an HTTP server.

Usage:
  troupe [command] [options]

Commands:
  start      Run the team with the local console (or on Discord with DISCORD_TOKEN) and the HTTP
             server (the default command)
  init       Start a project of your own with one agent and its test: troupe init my-team
  models     Which model each agent role uses and whether Ollama has it; --pull fetches the missing
  register-commands  Register the slash commands (/ask, /fanout, /status, /agents, /cancel, /retry,
             /schedule) with Discord
  mcp        Serve the team over MCP on stdio (ask_human, dispatch) for an external agent
  kakao      troupe kakao login: authorise the KakaoTalk alert sink (prints the address, reads the code)
  inspect    Replay a recorded JSONL trace in the statecharts visualizer: troupe inspect run.jsonl;
             --replay [--task id] opens where troupe replay finds it diverged
  replay     Re-run a recorded trace's tasks offline and compare: troupe replay trace.jsonl [--task id]
  help       Show this help, or one command's help: troupe help start

Options:
  -h, --help     Show help and exit
  -V, --version  Print the version and exit

Options of start (also accepted without the command name):
  --host <address>        HTTP address to listen on (TROUPE_HTTP_HOST)
  --port <number>         HTTP port, 0 for any free port (TROUPE_HTTP_PORT)
  --log-level <level>     debug, info, warn or error (TROUPE_LOG_LEVEL)
  --drain-timeout <time>  e.g. 500ms, 30s, 2m (TROUPE_DRAIN_TIMEOUT)
  --redis-url <url>       Keep the work on Redis (REDIS_URL; prefer the variable for a password)
  --data-dir <path>       Folder of the embedded SQLite store (TROUPE_DATA_DIR)
  --namespace <name>      Team name on the store (TROUPE_NAMESPACE)
  --consumer <name>       This host's stable name on the work queue (TROUPE_CONSUMER)
  --lease <time>          e.g. 10s, 30s, 2m (TROUPE_LEASE)

${ENVIRONMENT}

Run "troupe start --help" for the console's commands and how troupe stops.
`;

export const startUsage = `troupe start: run the team with the local console and the HTTP server.
With DISCORD_TOKEN set it runs on Discord instead: see docs/discord.md.

Usage:
  troupe start [options]

The team has two agents that need no model: echo and system-monitor. Type commands on stdin; each
task goes on the durable work queue (an embedded SQLite file, or Redis with REDIS_URL) and its status
and result appear on stdout; tasks left unfinished by a crash run again at the next start. Input may
come from a pipe, so a session can be scripted:
  printf '/agents\\n/ask echo hello\\n' | troupe start
Piped, logs are JSON lines on stderr and stdout is only the console. In a terminal the console is
quiet: logs go to <data dir>/<namespace>.log (named once at the start) and only warnings and errors
show, above the prompt; --log-level or TROUPE_LOG_LEVEL keeps the JSON lines on stderr there too.

Options:
  --host <address>        HTTP address to listen on (default 127.0.0.1, or TROUPE_HTTP_HOST)
  --port <number>         HTTP port, 0 for any free port (default 9464, or TROUPE_HTTP_PORT)
  --log-level <level>     debug, info, warn or error (default info, or TROUPE_LOG_LEVEL)
  --drain-timeout <time>  How long running tasks may take to finish when troupe stops, e.g. 500ms,
                          30s, 2m (default 30s, or TROUPE_DRAIN_TIMEOUT); what is left is
                          interrupted and stays in the work queue for the next start
  --redis-url <url>       Keep the work on Redis, shared by every host on it (default: the embedded
                          SQLite store; or REDIS_URL, better for a URL with a password, since
                          command lines are visible to other users of the machine)
  --data-dir <path>       Folder of the embedded store (default .troupe, or TROUPE_DATA_DIR)
  --namespace <name>      Letters, digits, ".", "_", "-" (default default, or TROUPE_NAMESPACE)
  --consumer <name>       This host's name on the work queue (default the host name, or
                          TROUPE_CONSUMER); keep it across restarts, make it unique per host
  --lease <time>          How long before a silent host's tasks are taken over (default 30s, or
                          TROUPE_LEASE; at least 1s)
  -h, --help              Show this help and exit

${ENVIRONMENT}

Console:
${consoleHelp.replace(/^Commands:\n/, "")}
  Task status: 📥 queued, 👀 claimed, ⚙️ working, ✋ waiting for a human, 🔁 retrying, ✅ done,
  ❌ failed, 🚫 cancelled.

HTTP:
  GET /metrics            Prometheus metrics (troupe_* and process metrics)
  GET /healthz            JSON of each part's health (store, consumer name, team, notifier, Discord);
                          503 with the reasons while a part the host needs is down
  GET /readyz             The same; also 503 while the host takes no work (starting, stopping)
  GET /inspect            The statecharts visualizer of the running team (live; no CDN)
  If the port is in use, troupe logs an error and runs on without HTTP.

Stopping:
  End of input (Ctrl-D, or the pipe closing), /quit, Ctrl-C or SIGTERM: no new tasks are taken,
  queued and running ones get the drain timeout to finish, then troupe exits; what is left stays in
  the work queue and runs at the next start. A second Ctrl-C exits at once. A stop never takes more
  than the drain timeout and 5 s, even while Redis is unreachable.

Exit codes:
  0 stopped cleanly, 1 the team escalated or could not start, 2 bad command line or environment,
  3 stopped with work left (tasks interrupted or unfinished, or the store unreachable), 130
  stopped at once by a second Ctrl-C.
`;

/** The hint printed after a usage error. */
export const usageHint = 'Run "troupe --help" for usage.';
