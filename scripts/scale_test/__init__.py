"""The scale test: many deferred teardowns on a production-shaped Airflow on one machine.

``./run scale-test`` installs (Debian packages, only if missing) and starts a private PostgreSQL
as the metadata DB and a private Redis as the Celery broker, then Airflow's api-server, scheduler,
dag-processor, two triggerers and two Celery workers as separate processes on 127.0.0.1, and the
emulator. One DAG run tears down N running jobs in N mapped tasks and M more in one ``job_ids``
task, all deferrable; while they wait, one triggerer is SIGKILLed and later started again.

It fails on any failed task, a task that never deferred, a job not gone at the end, a job deleted
before the emulator had stopped it or a task that ended before the emulator had its jobs gone,
and a secret in a file under AIRFLOW_HOME or in the metadata DB's log tables. It prints the
figures the README quotes. Everything started is stopped by PID, also on failure.
"""
