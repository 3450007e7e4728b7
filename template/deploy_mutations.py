"""Mutations of the deployment files, each with the test that must fail when it is made.

    uv run python -m template.deploy_mutations            (template/mutate-deploy)
    uv run python -m template.deploy_mutations --table    (template/README.md's table)
    uv run python -m template.deploy_mutations 3 7        (only those rows)

Each mutation is made in a throw-away copy of the project, and the named test is run there
with Docker, kustomize and the rest required: the mutation is caught when the test fails.
First, the named tests run once on the unchanged copy, so that a failure means the change.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from testing.context import copy_project
from testing.environ import clean_environ


@dataclass(frozen=True)
class Mutation:
    file: str
    what: str
    original: str
    replacement: str
    test: str

    def apply(self, root: Path) -> None:
        """Make the change in the copy at `root`; refuse if the original is not there once."""
        path = root / self.file
        text = path.read_text()
        if text.count(self.original) != 1:
            msg = f"{self.file}: the original text of '{self.what}' is not there exactly once"
            raise ValueError(msg)
        path.write_text(text.replace(self.original, self.replacement))


IMAGE = "tests/container/test_image.py"
RUNTIME = "tests/container/test_runtime.py"
COMPOSE = "tests/container/test_compose.py"
K8S_RUNTIME = "tests/container/test_k8s_runtime.py"
K8S = "tests/deploy/test_k8s.py"
SWARM = "tests/container/test_swarm.py"
RELEASE = "tests/deploy/test_release.py"
WORKFLOWS = "tests/repo/test_workflows.py"
SWARM_STACK = "tests/deploy/test_swarm_stack.py"
TELEMETRY = "tests/container/test_telemetry.py"
HARDENING = "tests/container/test_compose_hardening.py"
ADMISSION = "tests/cluster/test_admission.py"
SERVING = "tests/cluster/test_serving.py"
ROLLOUTS = "tests/cluster/test_rollouts.py"
DISRUPTIONS = "tests/cluster/test_disruptions.py"
POLICY = "tests/cluster/test_network_policy.py"
GATEWAY = "tests/cluster/test_gateway.py"
KNATIVE = "tests/cluster/test_knative.py"

MUTATIONS = (
    Mutation(
        "Dockerfile",
        "`uv sync --locked`: a stale lock file fails the build",
        "uv sync --locked --no-install-project",
        "uv sync --no-install-project",
        f"{IMAGE}::test_the_build_refuses_a_lock_file_that_no_longer_matches_pyproject",
    ),
    Mutation(
        "Dockerfile",
        "the compiled extensions are stripped",
        "    && python3 /tmp/docker/strip_extensions.py /opt/venv \\\n",
        "",
        f"{IMAGE}::test_every_compiled_extension_ships_without_its_debug_data",
    ),
    Mutation(
        "Dockerfile",
        "development-only packages are left out of the runtime venv",
        'ARG DEV_ONLY_PACKAGES="httpx',
        'ARG DEV_ONLY_PACKAGES="',
        f"{IMAGE}::test_packages_the_server_never_imports_are_left_out[httpx]",
    ),
    Mutation(
        "Dockerfile",
        "the venv is owned by root, not by the service",
        "COPY --from=builder /opt/venv /opt/venv",
        "COPY --from=builder --chown=10001:10001 /opt/venv /opt/venv",
        f"{IMAGE}::test_the_service_cannot_change_its_own_code",
    ),
    Mutation(
        "Dockerfile",
        "the server runs as the fixed non-root user",
        "# Every process from here on runs as the unprivileged user.\nUSER 10001:10001",
        "# Every process from here on runs as the unprivileged user.\nUSER 0:0",
        f"{IMAGE}::test_server_runs_as_the_fixed_non_root_user",
    ),
    Mutation(
        "Dockerfile",
        "no `FORWARDED_ALLOW_IPS` in the image: uvicorn trusts loopback only",
        "    OTEL_EXPORTER_OTLP_TIMEOUT=2\n",
        "    OTEL_EXPORTER_OTLP_TIMEOUT=2 \\\n    FORWARDED_ALLOW_IPS=*\n",
        f"{RUNTIME}::test_forged_forwarded_headers_from_an_untrusted_address_are_ignored[image]",
    ),
    Mutation(
        "Dockerfile",
        "the project is built from the sources, not from uv's cache",
        " --no-editable --reinstall-package fastapi-service \\\n",
        " --no-editable \\\n",
        f"{IMAGE}::test_a_source_change_rebuilds_on_top_of_the_cached_dependency_layer",
    ),
    Mutation(
        "Dockerfile",
        "`HEALTHCHECK` on readiness",
        "HEALTHCHECK --interval=30s",
        "# HEALTHCHECK --interval=30s",
        f"{IMAGE}::test_container_becomes_healthy",
    ),
    Mutation(
        "Dockerfile",
        "exec-form `CMD`: the server is PID 1 and gets SIGTERM",
        'CMD ["fastapi", "run", "--entrypoint", "app.main:app"]',
        "CMD fastapi run --entrypoint app.main:app",
        f"{IMAGE}::test_docker_stop_runs_the_lifespan_shutdown_and_exits_0[native]",
    ),
    Mutation(
        "compose.yaml",
        "`FORWARDED_ALLOW_IPS`: the proxy's subnet only",
        "FORWARDED_ALLOW_IPS: ${PROXY_SUBNET:-10.213.0.0/24}",
        'FORWARDED_ALLOW_IPS: "*"',
        f"{RUNTIME}::test_forged_forwarded_headers_from_an_untrusted_address_are_ignored[compose]",
    ),
    Mutation(
        "compose.yaml",
        "`APP_ACCESS_LOG` off behind the proxy",
        "APP_ACCESS_LOG: ${APP_ACCESS_LOG:-false}",
        "APP_ACCESS_LOG: ${APP_ACCESS_LOG:-true}",
        f"{RUNTIME}::test_access_lines_are_written_only_where_nothing_in_front_logs_requests"
        "[compose]",
    ),
    Mutation(
        "compose.yaml",
        "`restart: unless-stopped` on the app",
        "    restart: unless-stopped\n    healthcheck:",
        "    healthcheck:",
        f"{COMPOSE}::test_the_restart_policy_brings_back_a_server_that_exits",
    ),
    Mutation(
        "compose.yaml",
        "`stop_grace_period: 20s`",
        "    stop_grace_period: 20s\n",
        "",
        f"{COMPOSE}::test_a_request_in_flight_finishes_within_the_stop_grace_period",
    ),
    Mutation(
        "compose.yaml",
        "the app starts only after prestart succeeded",
        "condition: service_completed_successfully",
        "condition: service_started",
        f"{COMPOSE}::test_a_failing_prestart_step_keeps_the_app_from_starting",
    ),
    Mutation(
        "compose.yaml",
        "the memory limit",
        "memory: ${APP_MEMORY_LIMIT:-128M}",
        "memory: ${APP_MEMORY_LIMIT:-64M}",
        f"{RUNTIME}::test_under_load_the_server_peaks_below_half_the_compose_memory_limit",
    ),
    Mutation(
        "compose.yaml",
        "only the proxy publishes ports",
        "    stop_grace_period: 20s\n",
        '    stop_grace_period: 20s\n    ports: ["127.0.0.1::8000"]\n',
        f"{COMPOSE}::test_only_the_proxy_publishes_ports",
    ),
    Mutation(
        "compose.yaml",
        "the proxy's health check: `up --wait` returns once HTTPS serves",
        "    healthcheck:\n      test:\n        - CMD-SHELL\n",
        "    healthcheck:\n      disable: true\n      test:\n        - CMD-SHELL\n",
        f"{COMPOSE}::test_up_wait_returns_only_once_https_serves_the_contract",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "`read_header 10s`: slow clients are cut off",
        "read_header 10s",
        "read_header 60s",
        f"{COMPOSE}::test_the_proxy_cuts_off_a_client_that_trickles_its_headers",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "`lb_try_duration 10s`: a request is retried on another replica",
        "\t\tlb_try_duration 10s\n",
        "",
        f"{COMPOSE}::test_a_rolling_restart_under_load_loses_no_request",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "`log`: the proxy writes the access lines",
        "\tlog\n",
        "",
        f"{COMPOSE}::test_the_app_writes_no_access_line_behind_the_proxy",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "nothing is served outside the path prefix",
        '\thandle {\n\t\trespond "Not Found" 404\n',
        "\thandle {\n\t\timport upstream\n",
        f"{COMPOSE}::test_the_stack_serves_under_a_path_prefix_with_working_docs",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "`/metrics` is not public",
        '\thandle @metrics {\n\t\trespond "Not Found" 404\n',
        "\thandle @metrics {\n\t\timport upstream\n",
        "tests/container/test_observability.py::"
        "test_the_public_proxy_answers_404_for_the_metrics[/metrics]",
    ),
    Mutation(
        "deploy/swarm/stack.yaml",
        "`failure_action: rollback`: a failed update rolls back by itself",
        "        failure_action: rollback\n",
        "        failure_action: pause\n",
        f"{SWARM}::test_an_update_whose_health_check_fails_is_rolled_back_and_loses_no_request",
    ),
    Mutation(
        "deploy/swarm/stack.yaml",
        "each task runs prestart before its server",
        '    command:\n      ["python", "-m", "app.prestart", "--", "fastapi", "run", '
        '"--entrypoint", "app.main:app", "--root-path", "${ROOT_PATH:-}"]\n',
        "",
        f"{SWARM}::test_a_failing_prestart_step_keeps_the_new_version_from_serving",
    ),
    Mutation(
        "deploy/swarm/stack.yaml",
        "the secret, not compose's variable, sets `APP_DOCS_ENABLED`",
        "      APP_DOCS_ENABLED: !reset null\n",
        "      APP_LOG_LEVEL: info\n",
        f"{SWARM}::test_a_secret_reaches_the_setting",
    ),
    Mutation(
        "deploy/k8s/base/kustomization.yaml",
        "`FORWARDED_ALLOW_IPS`: the pod CIDR only",
        "- FORWARDED_ALLOW_IPS=10.244.0.0/16",
        "- FORWARDED_ALLOW_IPS=0.0.0.0/0",
        f"{RUNTIME}::test_forged_forwarded_headers_from_an_untrusted_address_are_ignored[k8s-prod]",
    ),
    Mutation(
        "deploy/k8s/base/kustomization.yaml",
        "`APP_ACCESS_LOG=false` behind the ingress",
        "- APP_ACCESS_LOG=false",
        "- APP_ACCESS_LOG=true",
        f"{RUNTIME}::test_access_lines_are_written_only_where_nothing_in_front_logs_requests"
        "[k8s-prod]",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "`readOnlyRootFilesystem: true`",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
        f"{K8S_RUNTIME}::test_the_server_runs_under_the_manifests_security_context",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "`allowPrivilegeEscalation: false`",
        "allowPrivilegeEscalation: false",
        "allowPrivilegeEscalation: true",
        f"{K8S_RUNTIME}::test_the_server_runs_under_the_manifests_security_context",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "`capabilities: drop: [ALL]`",
        'drop: ["ALL"]',
        'drop: ["NET_RAW"]',
        f"{K8S_RUNTIME}::test_the_server_runs_under_the_manifests_security_context",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "the containers' user is not root",
        "            runAsUser: 10001\n            runAsGroup: 10001\n            capabilities:",
        "            runAsUser: 0\n            runAsGroup: 10001\n            capabilities:",
        f"{K8S_RUNTIME}::test_the_server_runs_under_the_manifests_security_context",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "the readiness probe's path",
        "          readinessProbe:\n            httpGet:\n              path: /health/ready",
        "          readinessProbe:\n            httpGet:\n              path: /ready",
        f"{K8S_RUNTIME}::test_every_probe_of_the_manifest_answers_200_on_the_declared_port",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "`terminationGracePeriodSeconds` covers preStop and the request budget",
        "terminationGracePeriodSeconds: 30",
        "terminationGracePeriodSeconds: 10",
        f"{K8S}::test_the_grace_period_covers_the_drain_delay_and_composes_request_budget[prod]",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "the memory limit, equal to compose's",
        '            limits:\n              cpu: "1"\n              memory: 128Mi\n'
        "          securityContext: *restricted",
        '            limits:\n              cpu: "1"\n              memory: 256Mi\n'
        "          securityContext: *restricted",
        f"{K8S}::test_memory_matches_the_compose_figures[prod]",
    ),
    Mutation(
        "deploy/k8s/overlays/prod/kustomization.yaml",
        "prod runs its image by digest, not by a movable tag",
        "    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "    newTag: 0.1.0",
        f"{RELEASE}::test_prod_runs_every_container_by_digest_and_none_by_tag",
    ),
    Mutation(
        ".github/workflows/ci.yml",
        "the scan fails on fixable high findings as well as critical ones",
        "severity: CRITICAL,HIGH",
        "severity: CRITICAL",
        f"{WORKFLOWS}::test_the_scan_fails_on_fixable_critical_and_high_findings_and_uploads_sarif",
    ),
    Mutation(
        ".github/workflows/ci.yml",
        "what gets signed is the pushed digest",
        'image="ghcr.io/${GITHUB_REPOSITORY,,}@${DIGEST}"',
        'image="ghcr.io/${GITHUB_REPOSITORY,,}:main"',
        f"{WORKFLOWS}::test_only_the_pushed_digest_is_signed_and_its_sbom_attested_keylessly",
    ),
    Mutation(
        "compose.yaml",
        "every service's log files are bounded",
        'max-file: "3"',
        'max-file: "30"',
        f"{SWARM_STACK}::test_every_service_keeps_the_compose_log_rotation",
    ),
    Mutation(
        "compose.yaml",
        "every service's root filesystem is read-only",
        "  read_only: true\n",
        "  read_only: false\n",
        f"{HARDENING}::test_writing_outside_the_tmpfs_fails_read_only",
    ),
    Mutation(
        "compose.yaml",
        "every service drops every capability",
        "  cap_drop: [ALL]\n",
        "  cap_drop: [CHOWN]\n",
        f"{HARDENING}::test_the_server_holds_no_capability_and_cannot_gain_privileges",
    ),
    Mutation(
        "compose.yaml",
        "no service can gain privileges",
        "  security_opt: [no-new-privileges:true]\n",
        "",
        f"{HARDENING}::test_the_server_holds_no_capability_and_cannot_gain_privileges",
    ),
    Mutation(
        "compose.yaml",
        "the app's process limit",
        "memory: ${APP_MEMORY_LIMIT:-128M}\n          pids: 128\n",
        "memory: ${APP_MEMORY_LIMIT:-128M}\n          pids: 4096\n",
        f"{HARDENING}::test_forking_past_the_process_limit_fails",
    ),
    Mutation(
        "compose.yaml",
        "the proxy adds back only the capability to bind 80 and 443",
        "cap_add: [NET_BIND_SERVICE]",
        "cap_add: [NET_BIND_SERVICE, NET_RAW]",
        f"{HARDENING}::test_every_service_runs_read_only_without_capabilities_or_escalation[proxy]",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "HSTS on every HTTPS response",
        '\theader Strict-Transport-Security "max-age=31536000{$HSTS_PRELOAD}"\n',
        "",
        f"{HARDENING}::test_api_responses_carry_hsts_and_the_security_headers_and_no_banner[/-200]",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "no server banner reaches a client",
        "\t\t-Server\n",
        "",
        f"{HARDENING}::test_api_responses_carry_hsts_and_the_security_headers_and_no_banner[/-200]",
    ),
    Mutation(
        "deploy/caddy/Caddyfile",
        "the redirect to HTTPS carries the security headers too",
        "http://{$DOMAIN:localhost} {\n\timport security_headers\n",
        "http://{$DOMAIN:localhost} {\n",
        f"{HARDENING}::test_the_http_redirect_carries_the_security_headers_and_no_banner",
    ),
    Mutation(
        "compose.yaml",
        "where Prometheus scrapes, nothing is counted twice over OTLP",
        "OTEL_METRICS_EXPORTER: ${OTEL_METRICS_EXPORTER:-none}",
        "OTEL_METRICS_EXPORTER: ${OTEL_METRICS_EXPORTER:-otlp}",
        f"{TELEMETRY}::test_compose_exports_traces_but_leaves_the_metrics_to_prometheus",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "liveness restarts a server that stops answering",
        "          livenessProbe:\n            httpGet:\n              path: /health/live\n"
        "              port: http\n            periodSeconds: 10\n            timeoutSeconds: 2\n"
        "            failureThreshold: 3\n",
        "",
        f"{DISRUPTIONS}::test_liveness_restarts_a_frozen_server_and_readiness_takes_it_out_meanwhile",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "readiness takes a pod that stops answering out of the Service",
        "          readinessProbe:\n            httpGet:\n              path: /health/ready\n"
        "              port: http\n            periodSeconds: 5\n            failureThreshold: 2\n",
        "",
        f"{DISRUPTIONS}::test_liveness_restarts_a_frozen_server_and_readiness_takes_it_out_meanwhile",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "the preStop sleep: endpoints drain before SIGTERM",
        "            preStop:\n              sleep:\n                seconds: 5\n",
        "",
        f"{ROLLOUTS}::test_a_pod_deleted_by_hand_drains_then_stops_cleanly",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "`maxUnavailable: 0`: a rollout never goes below the replicas",
        "maxUnavailable: 0",
        "maxUnavailable: 1",
        f"{ROLLOUTS}::test_a_rollout_never_has_fewer_ready_pods_than_replicas",
    ),
    Mutation(
        "deploy/k8s/base/pdb.yaml",
        "the PodDisruptionBudget keeps one pod serving",
        "minAvailable: 1",
        "minAvailable: 0",
        f"{DISRUPTIONS}::test_an_eviction_that_would_break_the_budget_is_refused",
    ),
    Mutation(
        "deploy/k8s/overlays/dev/namespace.yaml",
        "the namespace enforces the restricted profile (on a cluster)",
        "pod-security.kubernetes.io/enforce: restricted",
        "pod-security.kubernetes.io/enforce: privileged",
        f"{ADMISSION}::test_a_pod_that_breaks_the_restricted_profile_is_refused_at_admission"
        "[runAsNonRoot-unset]",
    ),
    Mutation(
        "deploy/k8s/base/deployment.yaml",
        "`readOnlyRootFilesystem: true` (in a pod)",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
        f"{SERVING}::test_the_root_is_read_only_and_tmp_is_writable_in_a_pod",
    ),
    Mutation(
        "deploy/k8s/base/networkpolicy.yaml",
        "the NetworkPolicy polices who connects to the pods",
        "policyTypes: [Ingress, Egress]",
        "policyTypes: [Egress]",
        f"{POLICY}::test_a_pod_in_an_unrelated_namespace_is_refused",
    ),
    Mutation(
        "deploy/k8s/base/networkpolicy.yaml",
        "the NetworkPolicy polices where the pods connect",
        "policyTypes: [Ingress, Egress]",
        "policyTypes: [Ingress]",
        f"{POLICY}::test_the_pods_resolve_names_but_open_no_connection_the_policy_does_not_list",
    ),
    Mutation(
        "deploy/k8s/base/httproute.yaml",
        "the route sends requests to the Service's port",
        "          port: 80\n",
        "          port: 8000\n",
        f"{GATEWAY}::test_https_serves_the_contract_the_docs_and_an_error_page",
    ),
    Mutation(
        "deploy/k8s/base/httproute.yaml",
        "the route attaches to the Gateway's HTTPS listener",
        "sectionName: https",
        "sectionName: http",
        f"{GATEWAY}::test_https_serves_the_contract_the_docs_and_an_error_page",
    ),
    Mutation(
        "deploy/k8s/overlays/dev/kustomization.yaml",
        "the NetworkPolicy admits the Gateway's namespace",
        "      fieldPath: spec.parentRefs.0.namespace",
        "      fieldPath: metadata.namespace",
        f"{POLICY}::test_the_gateway_still_reaches_the_pods_once_the_policy_is_enforced",
    ),
    Mutation(
        "deploy/k8s/base/kustomization.yaml",
        "`FORWARDED_ALLOW_IPS` believes the gateway's hop",
        "- FORWARDED_ALLOW_IPS=10.244.0.0/16",
        "- FORWARDED_ALLOW_IPS=127.0.0.1",
        f"{GATEWAY}::test_the_service_logs_the_real_client_and_not_a_forged_one",
    ),
    Mutation(
        "deploy/cloudrun/service.yaml",
        "the cloud service's port is one Knative allows",
        "            - containerPort: 8000",
        "            - containerPort: 8012",
        f"{KNATIVE}::test_the_webhook_accepts_the_file_as_shipped",
    ),
    Mutation(
        "deploy/cloudrun/service.yaml",
        "the cloud service's readiness probe",
        "          readinessProbe:\n            httpGet:\n              path: /health/ready\n",
        "          readinessProbe:\n            httpGet:\n              path: /ready\n",
        f"{KNATIVE}::test_the_service_is_ready_and_serves_the_contract_and_docs_over_https",
    ),
    Mutation(
        "deploy/cloudrun/service.yaml",
        "the cloud service's startup probe",
        "              path: /health/ready\n              port: 8000\n",
        "              path: /ready\n              port: 8000\n",
        f"{KNATIVE}::test_the_service_is_ready_and_serves_the_contract_and_docs_over_https",
    ),
    Mutation(
        "deploy/cloudrun/service.yaml",
        "the cloud service's memory limit, equal to compose's",
        '              cpu: "1"\n              memory: 128Mi',
        '              cpu: "1"\n              memory: 256Mi',
        f"{KNATIVE}::test_the_pods_memory_limit_is_composes",
    ),
    Mutation(
        "deploy/cloudrun/service.yaml",
        "the cloud service's concurrency: no more than the memory limit was proven under",
        "containerConcurrency: 64",
        "containerConcurrency: 0",
        f"{KNATIVE}::test_a_pod_admits_no_more_than_the_memory_limit_was_proven_under_and_drains_as_k8s",
    ),
    Mutation(
        "deploy/cloudrun/service.yaml",
        "the cloud service's request timeout, the Deployment's grace period",
        "      timeoutSeconds: 30",
        "      timeoutSeconds: 300",
        f"{KNATIVE}::test_a_pod_admits_no_more_than_the_memory_limit_was_proven_under_and_drains_as_k8s",
    ),
)


def table() -> str:
    """template/README.md's table: each line that matters and the test that fails without it."""
    rows = [
        "| # | file | what the line ensures | mutation | test that fails |",
        "| --- | --- | --- | --- | --- |",
    ]
    for number, m in enumerate(MUTATIONS, start=1):
        change = "removed" if not m.replacement.strip() else f"`{_one_line(m.replacement)}`"
        name = m.test.split("::", 1)[1]
        rows.append(f"| {number} | `{m.file}` | {m.what} | {change} | `{name}` |")
    return "\n".join(rows)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return " / ".join(lines).replace("|", "\\|")


def _pytest(root: Path, *tests: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **clean_environ(),
        "REQUIRE_DOCKER": "1",
        "REQUIRE_KUSTOMIZE": "1",
        "REQUIRE_CHROMIUM": "1",
        "REQUIRE_KUBERNETES": "1",
        "REQUIRE_GATEWAY": "1",
        "REQUIRE_KNATIVE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Mutate the deployment files; run the tests.")
    parser.add_argument("rows", nargs="*", type=int, help="only these rows (1-based)")
    parser.add_argument("--table", action="store_true", help="print template/README.md's table")
    args = parser.parse_args()
    if args.table:
        print(table())
        return 0
    chosen = [(n, MUTATIONS[n - 1]) for n in args.rows] or list(enumerate(MUTATIONS, start=1))
    with tempfile.TemporaryDirectory() as directory:
        baseline = Path(directory) / "baseline"
        copy_project(baseline)
        unchanged = _pytest(baseline, *sorted({m.test for _, m in chosen}))
        if unchanged.returncode != 0:
            print(f"the named tests fail without any mutation:\n{unchanged.stdout[-3000:]}")
            return 1
        survivors = []
        for number, mutation in chosen:
            copy = Path(directory) / f"mutation-{number}"
            copy_project(copy)
            mutation.apply(copy)
            started = time.monotonic()
            result = _pytest(copy, mutation.test)
            # pytest exits 1 when a test failed: anything else is not a catch.
            caught = result.returncode == 1
            seconds = time.monotonic() - started
            verdict = "caught" if caught else f"NOT caught (pytest exit {result.returncode})"
            print(f"{number:2} {mutation.file}: {mutation.what}: {verdict} ({seconds:.0f} s)")
            if not caught:
                survivors.append(number)
                print(result.stdout[-2000:])
    print(f"{len(chosen) - len(survivors)} of {len(chosen)} mutations caught")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
