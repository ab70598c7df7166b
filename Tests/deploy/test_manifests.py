"""The deployment files: linted (hadolint, yamllint), Kubernetes manifests validated against
the API schemas (kubernetes-validate), and consistent with the proxy and with each other."""
import os
import re
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KUBERNETES = os.path.join(ROOT, "deploy", "kubernetes")
BINARY = os.environ.get("PROXY_BINARY", os.path.join(ROOT, ".build", "debug", "claude-chutes-proxy"))


def run(*command):
    return subprocess.run(command, cwd=ROOT, text=True, capture_output=True)


def manifests():
    with open(os.path.join(KUBERNETES, "kustomization.yaml")) as file:
        files = yaml.safe_load(file)["resources"]
    loaded = {}
    for name in files:
        with open(os.path.join(KUBERNETES, name)) as file:
            document = yaml.safe_load(file)
            loaded[document["kind"]] = document
    return files, loaded


def test_dockerfile_passes_hadolint():
    result = run("hadolint", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_yaml_passes_yamllint():
    result = run("yamllint", "--strict", "compose.yaml", ".yamllint.yaml", "deploy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_manifests_match_the_api_schemas():
    files, _ = manifests()
    result = run("kubernetes-validate", "--strict", *[os.path.join(KUBERNETES, name) for name in files])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == len(files), result.stdout


def test_deployment_drains_within_its_grace_period_and_runs_locked_down():
    _, kinds = manifests()
    deployment, config = kinds["Deployment"], kinds["ConfigMap"]["data"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    grace = float(config["SHUTDOWN_GRACE_PERIOD"])
    assert pod["terminationGracePeriodSeconds"] >= pause + grace + 5, "the kubelet would kill streams still draining"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    key = next(item for item in container["env"] if item["name"] == "CHUTES_API_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == kinds["Secret"]["metadata"]["name"]
    assert "CHUTES_API_KEY" in kinds["Secret"]["stringData"]


def test_service_hpa_and_budget_select_the_deployments_pods():
    _, kinds = manifests()
    deployment = kinds["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (kinds["Service"]["spec"]["selector"], kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
    assert kinds["Service"]["spec"]["ports"][0]["targetPort"] == deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["name"]
    hpa = kinds["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
    assert kinds["PodDisruptionBudget"]["spec"]["minAvailable"] < hpa["minReplicas"]
    for key in kinds["ConfigMap"]["data"]:
        assert re.fullmatch(r"[A-Z0-9_]+", key)


def test_every_configmap_key_is_a_setting_the_proxy_reads():
    _, kinds = manifests()
    flags = ["--" + key.lower().replace("_", "-") + "=" + value for key, value in kinds["ConfigMap"]["data"].items()]
    result = subprocess.run([BINARY, "--print-config", *flags], text=True, capture_output=True, env={})
    assert result.returncode == 0, result.stderr


def test_compose_and_dockerfile_agree_with_the_proxy():
    with open(os.path.join(ROOT, "compose.yaml")) as file:
        proxy = yaml.safe_load(file)["services"]["proxy"]
    assert proxy["read_only"] is True and proxy["stop_signal"] == "SIGTERM"
    assert int(proxy["stop_grace_period"].rstrip("s")) > 10, "must exceed the default SHUTDOWN_GRACE_PERIOD"
    assert proxy["healthcheck"]["test"] == ["CMD", "claude-chutes-proxy", "healthcheck"]
    dockerfile = open(os.path.join(ROOT, "Dockerfile")).read()
    assert "ARG SWIFT_IMAGE=swift:6.3-bookworm" in dockerfile
    assert "ARG RUNTIME_IMAGE=debian:bookworm-slim" in dockerfile
    assert "--static-swift-stdlib" in dockerfile
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert re.search(r"^EXPOSE 8080$", dockerfile, re.M) and re.search(r"^STOPSIGNAL SIGTERM$", dockerfile, re.M)
    assert 'CMD ["claude-chutes-proxy", "healthcheck"]' in dockerfile


def test_every_deployment_listens_beyond_loopback():
    """The proxy's own default is 127.0.0.1; a container must listen on every interface for its
    port mapping, the Service or the compose port to reach it."""
    dockerfile = open(os.path.join(ROOT, "Dockerfile")).read()
    assert re.search(r"^ENV HOST=0\.0\.0\.0\b", dockerfile, re.M)
    with open(os.path.join(ROOT, "compose.yaml")) as file:
        assert yaml.safe_load(file)["services"]["proxy"]["environment"]["HOST"] == "0.0.0.0"
    _, kinds = manifests()
    assert kinds["ConfigMap"]["data"]["HOST"] == "0.0.0.0"
    result = subprocess.run([BINARY, "--print-config"], text=True, capture_output=True, env={})
    assert re.search(r"^HOST=127\.0\.0\.1 ", result.stdout, re.M), result.stdout


def test_env_example_shows_every_default_the_proxy_has():
    result = subprocess.run([BINARY, "--print-config"], text=True, capture_output=True, env={})
    assert result.returncode == 0, result.stderr
    # NAME=value lines, then the routing as understood, as comments.
    defaults = dict(line.split("#")[0].strip().split("=", 1) for line in result.stdout.splitlines()
                    if line.strip() and not line.startswith("#"))
    example = {}
    for line in open(os.path.join(ROOT, ".env.example")):
        if re.match(r"^[A-Z0-9_]+=", line):
            name, value = line.rstrip("\n").split("=", 1)
            example[name] = value
    assert example.keys() == defaults.keys()
    for name, value in example.items():
        if value:   # an empty line means the default
            assert value == defaults[name], f"{name}: .env.example says {value}, the default is {defaults[name]}"


TEAM = os.path.join(ROOT, "deploy", "kubernetes-team")


def test_the_team_overlay_builds_validates_and_its_keys_file_is_one_the_proxy_reads(tmp_path):
    built = run("kubectl", "kustomize", TEAM)
    assert built.returncode == 0, built.stderr
    rendered = tmp_path / "team.yaml"
    rendered.write_text(built.stdout)
    result = run("kubernetes-validate", "--strict", str(rendered))
    assert result.returncode == 0, result.stdout + result.stderr
    documents = [document for document in yaml.safe_load_all(built.stdout) if document]
    secret = next(d for d in documents if d["kind"] == "Secret" and "keys.json" in d.get("stringData", {}))
    proxy = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "claude-chutes-proxy")
    valkey_service = next(d for d in documents if d["kind"] == "Service" and "valkey" in d["metadata"]["name"])
    pod = proxy["spec"]["template"]["spec"]
    environment = {item["name"]: item.get("value") for item in pod["containers"][0]["env"]}
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "keys")
    volume = next(v for v in pod["volumes"] if v["name"] == "keys")
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    assert "subPath" not in mount, "a subPath mount never sees the Secret change"
    assert environment["PROXY_KEYS_FILE"] == mount["mountPath"] + "/keys.json"
    assert environment["RATE_LIMIT_REDIS_URL"] == f"redis://{valkey_service['metadata']['name']}:{valkey_service['spec']['ports'][0]['port']}"
    keys = tmp_path / "keys.json"
    keys.write_text(secret["stringData"]["keys.json"])
    printed = subprocess.run([BINARY, "--print-config"], text=True, capture_output=True,
                             env={"PROXY_KEYS_FILE": str(keys), "CHUTES_API_KEY": "cpk_x",
                                  "RATE_LIMIT_REDIS_URL": environment["RATE_LIMIT_REDIS_URL"]})
    assert printed.returncode == 0, printed.stderr
