"""Celery workers: the app, the beat schedule and thin tasks that take ids and call syndicate.pipeline."""
