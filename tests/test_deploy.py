"""The production topology, checked structurally (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template
from typing import Any

import yaml

from lobby.settings import Settings
from signaling.ice import ice_servers

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "VENTEROM_SECRET": "s" * 32,
    "VENTEROM_PUBLIC_URL": "https://venterom.example.no",
    "TURN_HOST": "turn.example.no",
    "VENTEROM_TURN_SECRET": "t" * 32,
    "POSTGRES_PASSWORD": "p" * 24,
}


def compose() -> dict[str, Any]:
    text = (ROOT / "docker-compose.yml").read_text()
    # ${VAR:?message}, ${VAR:-default} and ${VAR} as compose substitutes them.
    text = re.sub(r"\$\{(\w+):\?[^}]*\}", r"${\1}", text)
    text = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: ENV.get(m.group(1), m.group(2)), text)
    loaded: dict[str, Any] = yaml.safe_load(Template(text).substitute(ENV))
    return loaded


def test_services_of_the_production_topology() -> None:
    services = compose()["services"]
    assert set(services) == {"redis", "postgres", "coturn", "app1", "app2", "nginx"}
    assert (
        "--save" in services["redis"]["command"] and "--appendonly" in services["redis"]["command"]
    )
    assert services["nginx"]["depends_on"] == ["app1", "app2"]


def test_app_instances_share_redis_secret_and_directory_and_no_disk() -> None:
    services = compose()["services"]
    apps = [services["app1"], services["app2"]]
    envs = [app["environment"] for app in apps]
    assert envs[0]["VENTEROM_INSTANCE_ID"] != envs[1]["VENTEROM_INSTANCE_ID"]
    for key in (
        "VENTEROM_REDIS_URL",
        "VENTEROM_DATABASE_URL",
        "VENTEROM_SECRET",
        "VENTEROM_TURN_SECRET",
        "VENTEROM_DATA_DIR",
    ):
        assert envs[0][key] == envs[1][key], key
    assert envs[0]["VENTEROM_REDIS_URL"].startswith("redis://redis:")
    # Nothing on disk is shared: each instance could run on a host of its own.
    volumes = [{v.split(":")[0] for v in app["volumes"]} for app in apps]
    assert not volumes[0] & volumes[1]
    for app in apps:
        assert app["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for env in envs:
        settings = Settings.from_env({k: str(v) for k, v in env.items()})
        assert settings.directory == (
            f"postgresql://venterom:{ENV['POSTGRES_PASSWORD']}@postgres:5432/venterom"
        ), "the directory in PostgreSQL, not a SQLite file"
        assert settings.secure_cookies and settings.redis_url and settings.turn_secret
        assert settings.audit_path == "/data/audit.log", "the audit stream on the volume"
        assert settings.trusted_proxies and settings.rate_limits, "limits per real client"
        assert settings.origins == ("https://venterom.example.no",)
        assert (settings.smtp_host, settings.smtp_port) == ("", 587), "no e-mail unless set"
        servers = ice_servers(
            settings.stun_urls, settings.turn_urls, settings.turn_secret, "v_x", 0, 600
        )
        assert [s["urls"][0].split(":")[0] for s in servers] == ["stun", "turn"]


def test_nginx_proxies_to_the_app_instances_with_websocket_upgrade() -> None:
    conf = (ROOT / "deploy/nginx.conf").read_text()
    upstream = re.findall(r"server (\w+):(\d+)", conf)
    services = compose()["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    port = re.search(r"VENTEROM_PORT=(\d+)", dockerfile)
    assert port is not None
    assert {(name, port[1]) for name in ("app1", "app2")} == set(upstream)
    assert all(name in services for name, _ in upstream)
    socket_block = conf[conf.index("location /socket.io/") :]
    assert "proxy_set_header Upgrade $http_upgrade" in socket_block
    assert "$request_uri" not in conf.split("log_format")[1].split(";")[0], (
        "no query strings in logs"
    )
    mounted = [v.split(":")[0] for v in services["nginx"]["volumes"]]
    assert "./deploy/nginx.conf" in mounted
    for path in mounted:
        if not path.endswith("tls"):
            assert (ROOT / path).exists(), path


def test_coturn_checks_the_same_rest_credentials() -> None:
    conf = (ROOT / "deploy/turnserver.conf").read_text().splitlines()
    assert "use-auth-secret" in conf
    command = " ".join(compose()["services"]["coturn"]["command"])
    assert f"--static-auth-secret={ENV['VENTEROM_TURN_SECRET']}" in command
    assert any(line.startswith("denied-peer-ip=10.") for line in conf)


def test_postgres_keeps_the_directory_on_a_volume_and_says_when_it_is_ready() -> None:
    loaded = compose()
    postgres = loaded["services"]["postgres"]
    env = postgres["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_DB"]) == ("venterom", "venterom")
    assert env["POSTGRES_PASSWORD"] == ENV["POSTGRES_PASSWORD"]
    volume, path = postgres["volumes"][0].split(":")
    assert volume in loaded["volumes"] and path == "/var/lib/postgresql/data"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert "ports" not in postgres, "reached by the instances only"
