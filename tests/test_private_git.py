"""Private git code: the clone container is the only one that gets the repository's Secret.

The rendering tests look at every pod template of every lifecycle. The end-to-end tests run
the rendered clone container's own command and environment with real ``git`` and ``ssh``
against a throwaway sshd (and a local HTTPS git server) on 127.0.0.1, as the pod's uid, with
the Secret laid out the way the kubelet lays it out.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cdk8s
import cdk8s_plus_27 as kplus
import pytest

from mxnet_construct import Entrypoint, GitRepository, NetworkPolicyOptions, SecurityContext
from mxnet_construct._render import GIT_CREDENTIALS_DIR, GIT_PASSWD_ANNOTATION, GIT_SSH_DIR
from mxnet_construct.helm import chart_kwargs_from_values
from tests.helpers import make_chart, synth, validate_documents
from tests.test_security import pss_violations

ROOT = Path(__file__).resolve().parent.parent
SSH_URL = "git@github.com:acme/private.git"
HTTPS_URL = "https://gitlab.com/acme/private.git"
CLONE = "git-clone-repository"
WORKLOADS = {"Deployment", "StatefulSet", "Job"}


def _ssh(**extra: Any) -> GitRepository:
    return GitRepository(repository=SSH_URL, revision="main", ssh_secret="deploy-key", **extra)


def _token(**extra: Any) -> GitRepository:
    return GitRepository(repository=HTTPS_URL, revision="main", token_secret="git-token", **extra)


def pod_templates(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            out.append(doc["spec"]["template"])
        elif doc["kind"] == "JobSet":
            out += [rj["template"]["spec"]["template"] for rj in doc["spec"]["replicatedJobs"]]
    assert out, "no pod templates rendered"
    return out


EXTRAS: dict[str, Any] = {
    # A user init container, a sidecar and a claim (with its root chown container): none may
    # see the credentials.
    "init_containers": [{"name": "prepare", "image": "busybox:1.36", "command": ["true"]}],
    "sidecars": [{"name": "logs", "image": "busybox:1.36", "command": ["sleep", "infinity"]}],
}


TRAIN = Entrypoint(file="train.py")


def _charts(code: GitRepository) -> list[list[dict[str, Any]]]:
    return [
        synth(make_chart(mode="standalone", code=code, **EXTRAS)),
        synth(make_chart(mode="distributed", code=code, network_policy=NetworkPolicyOptions(enabled=True), **EXTRAS)),
        synth(make_chart(mode="distributed", lifecycle="job", entrypoint=TRAIN, code=code, **EXTRAS)),
        synth(make_chart(mode="distributed", lifecycle="jobset", entrypoint=TRAIN, code=code, **EXTRAS)),
    ]


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return pod["spec"]["containers"] + pod["spec"].get("initContainers", [])


@pytest.mark.parametrize("kind", ["ssh", "token"])
def test_only_the_clone_container_mounts_the_secret_read_only_with_mode_0400(kind: str) -> None:
    code = _ssh() if kind == "ssh" else _token()
    secret, keys, mount = (
        ("deploy-key", ["ssh-privatekey", "known_hosts"], GIT_SSH_DIR)
        if kind == "ssh"
        else ("git-token", ["username", "password"], GIT_CREDENTIALS_DIR)
    )
    for docs in _charts(code):
        validate_documents(docs)
        for pod in pod_templates(docs):
            volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
            secret_volumes = [v for v in volumes.values() if "secret" in v]
            assert secret_volumes == [
                {
                    "name": "git-auth",
                    "secret": {
                        "secretName": secret,
                        "defaultMode": 0o400,
                        "items": [{"key": k, "path": k, "mode": 0o400} for k in keys],
                    },
                }
            ]
            assert pss_violations(pod["spec"]) == []
            clone = next(c for c in pod["spec"]["initContainers"] if c["name"] == CLONE)
            assert {"name": "git-auth", "mountPath": mount, "readOnly": True} in clone["volumeMounts"]
            others = [c for c in _containers(pod) if c["name"] != CLONE]
            assert {c["name"] for c in others} >= {"mxnet", "logs", "prepare"}
            for container in others:
                mounted = {m["name"] for m in container.get("volumeMounts", [])}
                assert not mounted & {"git-auth", "git-passwd"}, container["name"]
                assert "git" not in str(container.get("env", [])).lower(), container["name"]
                assert "envFrom" not in container
            # No container at all takes anything from the Secret through env.
            for container in _containers(pod):
                assert "secretKeyRef" not in str(container.get("env", [])), container["name"]


def test_the_ssh_clone_checks_host_keys_and_its_env_carries_no_secret() -> None:
    pod = pod_templates(synth(make_chart(code=_ssh())))[0]
    clone = next(c for c in pod["spec"]["initContainers"] if c["name"] == CLONE)
    assert clone["command"] == ["git", "clone", "--depth", "1", "--branch", "main", "--", SSH_URL, "/app"]
    env = {e["name"]: e["value"] for e in clone["env"]}
    assert all(set(e) == {"name", "value"} for e in clone["env"])  # literal, non-secret values only
    assert set(env) == {"HOME", "GIT_TERMINAL_PROMPT", "GIT_SSH_COMMAND"}
    ssh = env["GIT_SSH_COMMAND"].split()
    assert "StrictHostKeyChecking=yes" in ssh and f"UserKnownHostsFile={GIT_SSH_DIR}/known_hosts" in ssh
    assert ssh[1:3] == ["-F", "/dev/null"]  # no image ssh_config can switch the check off
    assert not {"StrictHostKeyChecking=no", "StrictHostKeyChecking=accept-new"} & set(ssh)
    assert ssh[-2:] == ["-i", f"{GIT_SSH_DIR}/ssh-privatekey"]
    # The uid gets a passwd entry (ssh refuses to run without one) from the pod annotation.
    assert pod["metadata"]["annotations"][GIT_PASSWD_ANNOTATION].startswith("git:x:1001:1001:")
    assert {"name": "git-passwd", "mountPath": "/etc/passwd", "subPath": "passwd", "readOnly": True} in clone[
        "volumeMounts"
    ]


def test_the_https_clone_reads_the_token_through_a_helper_never_argv_url_or_env() -> None:
    pod = pod_templates(synth(make_chart(code=_token())))[0]
    clone = next(c for c in pod["spec"]["initContainers"] if c["name"] == CLONE)
    command = clone["command"]
    assert command[:5] == ["git", "-c", "credential.helper=", "-c", command[4]]
    assert command[4].startswith("credential.helper=!")
    assert command[5:] == ["clone", "--depth", "1", "--branch", "main", "--", HTTPS_URL, "/app"]
    assert f"{GIT_CREDENTIALS_DIR}/password" in command[4] and "$(" not in command[4]
    assert {e["name"]: e["value"] for e in clone["env"]} == {"HOME": "/tmp", "GIT_TERMINAL_PROMPT": "0"}
    assert "annotations" not in pod["metadata"]
    assert all(v["name"] != "git-passwd" for v in pod["spec"]["volumes"])


def test_a_public_repository_renders_as_before() -> None:
    pod = pod_templates(synth(make_chart(code=GitRepository(repository=HTTPS_URL))))[0]
    clone = next(c for c in pod["spec"]["initContainers"] if c["name"] == CLONE)
    assert clone["command"][:2] == ["git", "clone"]
    assert clone["env"] == [{"name": "HOME", "value": "/tmp"}]
    assert [m["name"] for m in clone["volumeMounts"]] == ["git-cloned-files"]


@pytest.mark.parametrize(("code", "port"), [(_ssh(), 22), (_token(), 443)])
def test_the_network_policy_opens_the_clone_port(code: GitRepository, port: int) -> None:
    docs = synth(make_chart(mode="distributed", code=code, network_policy=NetworkPolicyOptions(enabled=True)))
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    ports = {p["port"] for rule in policy["spec"]["egress"] if "to" not in rule for p in rule["ports"]}
    assert ports - {53} == {port}


def test_a_secret_object_is_taken_by_its_name() -> None:
    secret = kplus.Secret.from_secret_name(cdk8s.Chart(cdk8s.Testing.app(), "c"), "key", "deploy-key")
    assert GitRepository(repository=SSH_URL, revision="main", ssh_secret=secret) == _ssh()


def test_values_keys_reach_both_secrets() -> None:
    ssh = chart_kwargs_from_values(
        {"cloneFilesFromGit": {"enabled": True, "repository": SSH_URL, "revision": "main", "sshSecret": "deploy-key"}}
    )["code"]
    assert ssh == _ssh()
    token = chart_kwargs_from_values(
        {
            "cloneFilesFromGit": {
                "enabled": True,
                "repository": HTTPS_URL,
                "revision": "main",
                "tokenSecret": "git-token",
            }
        }
    )["code"]
    assert token == _token()


# --- errors: Python names in Python, values keys in values --------------------------------

PY_ERRORS = [
    (
        {"repository": SSH_URL, "token_secret": "t"},
        r"code\.token_secret \(cloneFilesFromGit\.tokenSecret\): token_secret authenticates an https URL, "
        r"but the URL uses ssh; .*use ssh_secret",
    ),
    (
        {"repository": HTTPS_URL, "ssh_secret": "k"},
        r"code\.ssh_secret \(cloneFilesFromGit\.sshSecret\): ssh_secret authenticates an ssh URL .* "
        r"but the URL uses https; .*or use token_secret",
    ),
    (
        {"repository": SSH_URL, "ssh_secret": "k", "token_secret": "t"},
        r"ssh_secret and token_secret are both set; .*; token_secret authenticates an https URL",
    ),
    ({"repository": "http://example.com/a.git", "token_secret": "t"}, r"the URL uses http; .*unencrypted"),
    ({"repository": SSH_URL, "ssh_secret": "Deploy_Key"}, r"code\.ssh_secret .*'Deploy_Key' is not valid; .*DNS"),
    ({"repository": HTTPS_URL, "token_secret": ""}, r"code\.token_secret .*'' is not valid"),
]


@pytest.mark.parametrize(("kwargs", "message"), PY_ERRORS)
def test_python_errors_name_the_field_and_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GitRepository(**kwargs)


VALUES_ERRORS = [
    (
        {"repository": SSH_URL, "tokenSecret": "t"},
        r"^cloneFilesFromGit\.tokenSecret: cloneFilesFromGit\.tokenSecret authenticates an https URL, but the URL "
        r"uses ssh; .*cloneFilesFromGit\.sshSecret",
    ),
    (
        {"repository": HTTPS_URL, "sshSecret": "k"},
        r"^cloneFilesFromGit\.sshSecret: cloneFilesFromGit\.sshSecret authenticates an ssh URL",
    ),
    (
        {"repository": HTTPS_URL, "sshSecret": "k", "tokenSecret": "t"},
        r"cloneFilesFromGit\.sshSecret and cloneFilesFromGit\.tokenSecret are both set",
    ),
    ({"repository": SSH_URL, "sshSecret": "Deploy_Key"}, r"^cloneFilesFromGit\.sshSecret: 'Deploy_Key' is not valid"),
    ({"repository": SSH_URL, "sshSecret": 5}, r"^cloneFilesFromGit\.sshSecret: expected a string"),
    ({"repository": SSH_URL, "sshSecrets": "k"}, r"cloneFilesFromGit\.sshSecrets: unknown key; did you mean"),
]


@pytest.mark.parametrize(("git", "message"), VALUES_ERRORS)
def test_values_errors_name_the_values_key(git: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        chart_kwargs_from_values({"cloneFilesFromGit": {"enabled": True, **git}})
    assert "ssh_secret" not in str(info.value) and "token_secret" not in str(info.value)


def test_an_ssh_clone_as_root_is_refused_in_both_vocabularies() -> None:
    root = SecurityContext(run_as_user=0, run_as_non_root=False)
    with pytest.raises(ValueError, match=r"^security_context\.run_as_user: 0 is not valid; a git clone over ssh"):
        make_chart(code=_ssh(), security_context=root)
    values = {
        "cloneFilesFromGit": {"enabled": True, "repository": SSH_URL, "sshSecret": "k"},
        "securityContext": {"runAsUser": 0, "runAsNonRoot": False},
    }
    with pytest.raises(ValueError, match=r"^securityContext\.runAsUser: 0 is not valid; a git clone over ssh"):
        chart_kwargs_from_values(values)
    make_chart(code=_token(), security_context=root)  # https has no such limit


def test_a_token_in_the_url_is_still_hidden_when_a_secret_is_also_set() -> None:
    url = "https://oauth2:glpat-SECRET@gitlab.com/acme/private.git"
    with pytest.raises(ValueError) as info:
        chart_kwargs_from_values({"cloneFilesFromGit": {"enabled": True, "repository": url, "sshSecret": "k"}})
    assert "glpat-SECRET" not in str(info.value) and "carries credentials" in str(info.value)


# --- end to end: the rendered clone container, run with real git and ssh --------------------

SSHD = ROOT / ".sshd" / "usr" / "sbin" / "sshd"
SSHD_LIBS = ROOT / ".sshd" / "usr" / "lib" / "x86_64-linux-gnu"
TRAIN_PY = "print('private code')\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def _run(*argv: str | Path) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True)


def _bare_repository(where: Path) -> Path:
    work = where / "work"
    _run("git", "init", "-q", "-b", "main", work)
    (work / "train.py").write_text(TRAIN_PY)
    _run("git", "-C", work, "add", "train.py")
    _run("git", "-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "code")
    _run("git", "clone", "-q", "--bare", work, where / "repo.git")
    return where / "repo.git"


def _kubelet_secret(where: Path, files: dict[str, str], gid: int) -> Path:
    """Files as the kubelet writes a Secret volume with mode 0400 under fsGroup: owned by
    root, group fsGroup, with group read added (0440)."""
    where.mkdir()
    for name, text in files.items():
        (where / name).write_text(text)
        os.chown(where / name, 0, gid)
        (where / name).chmod(0o440)
    return where


def _empty_dir(where: Path, gid: int) -> Path:
    """An emptyDir under fsGroup: world-writable, setgid, group fsGroup."""
    where.mkdir()
    os.chown(where, 0, gid)
    where.chmod(0o2777)
    return where


def run_clone(
    pod: dict[str, Any], mounts: dict[str, Path], *, passwd: bool = True, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The clone container's own command and env, as the pod's uid and fsGroup.

    Mount paths are swapped for the directories standing in for the volumes (this machine
    has no /etc/git-ssh); /etc/passwd is bind-mounted from the pod annotation in a mount
    namespace of the clone's own, as the downwardAPI volume's subPath mount does.
    """
    clone = next(c for c in pod["spec"]["initContainers"] if c["name"] == CLONE)
    sc = pod["spec"]["securityContext"]

    def local(text: str) -> str:
        for path, where in mounts.items():
            text = str(where) if text == path else text.replace(f"{path}/", f"{where}/")
        return text

    command = [local(arg) for arg in clone["command"]]
    env = {e["name"]: local(e["value"]) for e in clone["env"]}
    env |= {"PATH": "/usr/bin:/bin", **(extra_env or {})}
    as_pod = ["setpriv", f"--reuid={sc['runAsUser']}", f"--regid={sc['fsGroup']}", f"--groups={sc['fsGroup']}"]
    as_pod += ["--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *command]
    if not passwd:
        return subprocess.run(as_pod, capture_output=True, text=True, timeout=60)
    passwd_file = mounts[CODE_DIR].parent / "passwd"
    passwd_file.write_text(pod["metadata"]["annotations"][GIT_PASSWD_ANNOTATION])
    passwd_file.chmod(0o644)
    in_namespace = ["unshare", "-m", "--", "sh", "-c", 'mount --bind "$0" /etc/passwd && exec "$@"', str(passwd_file)]
    return subprocess.run(in_namespace + as_pod, capture_output=True, text=True, timeout=60)


CODE_DIR = "/app"


@pytest.fixture
def pod_tmp() -> Iterator[Path]:
    """A scratch directory the pod's uid can reach (pytest's own are 0700, root's only)."""
    where = Path(tempfile.mkdtemp(prefix="mxnet-private-git-"))
    where.chmod(0o755)
    try:
        yield where
    finally:
        shutil.rmtree(where)


class SshServer:
    def __init__(self, root: Path, port: int, host_key: Path, user_key: Path, repository: Path) -> None:
        self.root, self.port, self.host_key, self.user_key, self.repository = root, port, host_key, user_key, repository

    def known_hosts(self, key: Path | None = None) -> str:
        kind, blob = (key or self.host_key).with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {blob}\n"


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    assert SSHD.exists(), "sshd is missing: run `make sshd`"
    assert os.geteuid() == 0, "the end-to-end clone runs as the pod's uid, which needs root to switch to"
    root = tmp_path_factory.mktemp("sshd")
    root.chmod(0o755)
    repository = _bare_repository(root)
    for name in ("host", "user", "other"):
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / name)
    (root / "authorized_keys").write_text((root / "user.pub").read_text())
    port = _free_port()
    (root / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {root / 'host'}\nAuthorizedKeysFile {root / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
        "PermitRootLogin prohibit-password\n"
    )
    # sshd wants its privilege-separation user and /run/sshd; both exist only inside its own
    # mount namespace, so nothing on the machine changes.
    passwd = root / "passwd"
    passwd.write_text(Path("/etc/passwd").read_text() + "sshd:x:74:65534::/run/sshd:/usr/sbin/nologin\n")
    script = (
        'mount -t tmpfs -o mode=755 none /run && mkdir -m 755 /run/sshd && mount --bind "$0" /etc/passwd && exec "$@"'
    )
    proc = subprocess.Popen(
        ["unshare", "-m", "--", "sh", "-c", script, passwd, SSHD, "-D", "-e", "-f", root / "sshd_config"],
        env={"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(SSHD_LIBS)},
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, proc)
        yield SshServer(root, port, root / "host", root / "user", repository)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _ssh_pod(server: SshServer) -> dict[str, Any]:
    url = f"ssh://root@127.0.0.1:{server.port}{server.repository}"
    code = GitRepository(repository=url, revision="main", ssh_secret="deploy-key")
    return pod_templates(synth(make_chart(code=code)))[0]


def _ssh_mounts(tmp_path: Path, server: SshServer, known_hosts: str) -> dict[str, Path]:
    secret = {"ssh-privatekey": server.user_key.read_text(), "known_hosts": known_hosts}
    return {
        GIT_SSH_DIR: _kubelet_secret(tmp_path / "git-ssh", secret, 1001),
        CODE_DIR: _empty_dir(tmp_path / "app", 1001),
    }


def test_the_rendered_ssh_clone_clones_a_private_repository(ssh_server: SshServer, pod_tmp: Path) -> None:
    mounts = _ssh_mounts(pod_tmp, ssh_server, ssh_server.known_hosts())
    done = run_clone(_ssh_pod(ssh_server), mounts)
    assert done.returncode == 0, done.stderr
    assert (mounts[CODE_DIR] / "train.py").read_text() == TRAIN_PY
    assert (mounts[CODE_DIR] / "train.py").stat().st_uid == 1001  # written as the pod's uid


@pytest.mark.parametrize("listed", ["another key for the host", "nothing"])
def test_the_rendered_ssh_clone_refuses_a_host_key_it_was_not_given(
    ssh_server: SshServer, pod_tmp: Path, listed: str
) -> None:
    known_hosts = ssh_server.known_hosts(ssh_server.root / "other") if listed != "nothing" else ""
    mounts = _ssh_mounts(pod_tmp, ssh_server, known_hosts)
    done = run_clone(_ssh_pod(ssh_server), mounts)
    assert done.returncode != 0
    assert "Host key verification failed" in done.stderr, done.stderr
    assert not (mounts[CODE_DIR] / "train.py").exists()


def test_the_ssh_clone_needs_the_passwd_entry_it_is_given(ssh_server: SshServer, pod_tmp: Path) -> None:
    # Without the annotation's passwd file, ssh stops before connecting, as it does in an
    # image with no entry for the pod's uid.
    mounts = _ssh_mounts(pod_tmp, ssh_server, ssh_server.known_hosts())
    done = run_clone(_ssh_pod(ssh_server), mounts, passwd=False)
    assert done.returncode != 0 and "No user exists for uid 1001" in done.stderr, done.stderr


class _GitHttps(BaseHTTPRequestHandler):
    """git's smart HTTP through ``git http-backend``, behind HTTP basic auth."""

    project_root: Path
    expected: str
    seen: list[str | None]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        auth = self.headers.get("Authorization")
        type(self).seen.append(auth)
        if auth != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": str(self.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "git",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        headers = [line.split(":", 1) for line in head.decode().split("\r\n") if ":" in line]
        status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "status":
                self.send_header(key, value.strip())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, type[_GitHttps]]]:
    root = tmp_path_factory.mktemp("https")
    repository = _bare_repository(root)
    _run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", root / "key.pem", "-out", root / "cert.pem",
    )  # fmt: skip
    token = base64.b64encode(b"oauth2:glpat-test-token").decode()
    handler = type("Handler", (_GitHttps,), {"project_root": root, "expected": f"Basic {token}", "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(root / "cert.pem", root / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/{repository.name}", root / "cert.pem", handler
    finally:
        server.shutdown()
        server.server_close()


def _https_clone(tmp_path: Path, server: tuple[str, Path, type[_GitHttps]], password: str) -> tuple[Path, Any]:
    url, cert, _ = server
    code = GitRepository(repository=url, revision="main", token_secret="git-token")
    pod = pod_templates(synth(make_chart(code=code)))[0]
    mounts = {
        GIT_CREDENTIALS_DIR: _kubelet_secret(tmp_path / "creds", {"username": "oauth2", "password": password}, 1001),
        CODE_DIR: _empty_dir(tmp_path / "app", 1001),
    }
    # The test server's certificate is self-signed: trusting it is the only env added.
    ca = shutil.copy(cert, tmp_path / "ca.pem")
    return mounts[CODE_DIR], run_clone(pod, mounts, passwd=False, extra_env={"GIT_SSL_CAINFO": str(ca)})


def test_the_rendered_https_clone_authenticates_with_the_mounted_token(
    https_server: tuple[str, Path, type[_GitHttps]], pod_tmp: Path
) -> None:
    app, done = _https_clone(pod_tmp, https_server, "glpat-test-token")
    assert done.returncode == 0, done.stderr
    assert (app / "train.py").read_text() == TRAIN_PY
    assert https_server[2].expected in https_server[2].seen


def test_the_rendered_https_clone_fails_at_once_on_a_wrong_token(
    https_server: tuple[str, Path, type[_GitHttps]], pod_tmp: Path
) -> None:
    started = time.monotonic()
    app, done = _https_clone(pod_tmp, https_server, "wrong-token")
    assert done.returncode != 0 and "Authentication failed" in done.stderr, done.stderr
    assert time.monotonic() - started < 30  # no prompt waits for an answer
    assert not (app / "train.py").exists()
