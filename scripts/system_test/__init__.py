"""The system test: the example DAGs in a real Airflow deployment against the bundled emulator.

``./run system-test`` starts the emulator and Airflow's api-server, scheduler (LocalExecutor),
dag-processor and triggerer as separate processes on a fresh SQLite DB in a temporary
AIRFLOW_HOME, runs both example DAGs round after round with retries 0, and fails on any failed
task, on a deferrable task that never deferred, on a job not gone (or one gone that should stay),
and on any secret found in a file under AIRFLOW_HOME or in the metadata DB's log tables. An
event-driven round follows (``events``): the asset watcher reports jobs as they finish, the event
example tears them down, and a triggerer restart in the middle loses no job and floods nothing.
"""
