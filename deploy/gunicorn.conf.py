"""gunicorn settings for Sổ Đoàn: `gunicorn -c deploy/gunicorn.conf.py 'server:create_app()'`.

It runs behind Debian's nginx (deploy/nginx/sodoan.conf), which holds each request until its
whole body has arrived: a phone uploading for a minute over GPRS costs nginx a buffer, never a
gunicorn thread. docs/OPERATIONS.md explains each number; decisions 74 and 75 say why.

Environment: WEB_CONCURRENCY (worker processes, default 2), GUNICORN_BIND (default
127.0.0.1:$PORT, PORT default 8000), GUNICORN_CONTROL_SOCKET (off unless set). Anything else
can be overridden on the command line or in GUNICORN_CMD_ARGS (e.g. "--threads 8"), which
gunicorn reads after this file.
"""

import os

# Loopback only: nginx is the one door. A client that reached gunicorn directly could write
# its own X-Forwarded-For (the app believes the last TRUSTED_PROXIES entries) and would tie
# up a thread with a slow upload.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

# Processes, each with a few threads. gthread parks idle kept-alive connections in one
# poller and gives a thread only to a request that has started arriving; behind nginx that
# is a whole request, read at loopback speed. A request waiting on the database holds one
# thread, not the process. Each thread may hold one database connection: workers × threads
# must stay under PostgreSQL's max_connections (and SQLAlchemy's pool of 5 + 10 per process).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 4

# The app loads (and checks its configuration and database) once, before forking: a wrong
# setting stops the master with one line instead of every worker failing in a loop.
preload_app = True

# A worker that stops reporting (its main loop stuck, not a slow request: gthread keeps
# reporting while a thread works) is killed after `timeout`. Every database limit is well
# under it (server/config.py: 5-15 s), so a hung database ends as the app's own 503.
timeout = 30
# On restart or shutdown, requests in progress get this long to finish: a push is never
# cut half-way by a deploy (the phone would resend it; exactly-once makes that safe, but
# it costs a GPRS phone the whole upload again).
graceful_timeout = 30
# Idle connections from nginx are kept this long. nginx lets them go after 60 s
# (keepalive_timeout in its upstream block), before gunicorn does, so nginx never sends a
# request on a connection gunicorn is closing (which nginx could not retry for a POST).
keepalive = 75

# A fresh process now and then bounds any slow leak; the jitter keeps the workers from
# restarting together.
max_requests = 2000
max_requests_jitter = 200

# The heartbeat file on a memory file system: a worker never blocks on a disk to say
# it is alive.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Forwarded headers are the app's business alone (TRUSTED_PROXIES, werkzeug's ProxyFix):
# gunicorn itself trusts none, so the two can never disagree about who the client is.
forwarded_allow_ips = ""

# gunicorn ≥ 25 opens a control socket at one fixed path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second gunicorn on the machine (a second app server, a test,
# a benchmark) takes it over, and stopping either deletes it. We use signals to the master
# instead (HUP, TTIN, TTOU, TERM: docs/OPERATIONS.md); who wants `gunicornc` names a socket
# of this server's own.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Logs on standard output and error, for journald or the platform. The app writes one line
# per request itself (logger ``sodoan.access``: method, path, status, time, device, and the
# request id nginx sent, JSON in production): gunicorn's own access log would say it twice,
# so it is off unless GUNICORN_ACCESS_LOG names a file ("-": standard output). Its format:
# who (nginx's address, then the forwarded chain), when, what, status, bytes, time in ms,
# which worker, which client program.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
access_log_format = (
    '%(h)s fwd="%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(B)s %(M)sms pid=%(p)s "%(a)s"'
)


# Prometheus metrics (server/observability/metrics.py): every worker writes its counters
# into one directory and a scrape adds them up, whichever worker answers. Set here, before
# the app is loaded, so every process sees it; emptied at start, since files a previous
# run left would be added up too.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sodoan-metrics-")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    # A worker that is gone no longer counts in gauges of live processes; its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
