"""Deployment files (Dockerfile, compose, Helm chart) and their offline check (`make deploy-check`)."""
