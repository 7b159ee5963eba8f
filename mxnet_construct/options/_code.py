"""Where the code under ``/app`` comes from: the entrypoint that runs it and its three
sources (an existing ConfigMap, local files, a git repository)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias
from urllib.parse import urlsplit

from .. import _files
from .. import _validate as v
from .._validate import OptionError
from ._common import NamedObject, _check_abs_path, _keyword_hints, _set


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class Entrypoint:
    """What the workers (and the standalone pod) run. Chart: ``entrypoint.*``.

    ``file`` ending in ``.py`` runs as ``python3 FILE ARGS``, any other file as
    ``bash FILE ARGS``, and no file as ``sleep infinity``. ``args`` are passed as separate
    arguments, never through a shell, so no quoting is needed.

    Args:
        file: The script to run, relative to ``work_dir``; empty runs ``sleep infinity``.
            Chart: ``entrypoint.file``.
        args: Its arguments, one list item each. Chart: ``entrypoint.args``.
        work_dir: The container's working directory. Chart: ``entrypoint.workDir``.
    """

    file: str = ""
    args: Sequence[str] = ()
    work_dir: str = "/app"

    def __post_init__(self) -> None:
        v.check_str("entrypoint.file", self.file, max_len=v.MAX_PATH)
        if self.file.startswith("-"):
            # python3/bash would read it as an option, not as the script to run.
            v.fail("entrypoint.file", self.file, "a file name must not start with '-'; write './" + self.file + "'")
        if not self.file.isprintable():
            v.fail("entrypoint.file", self.file, "a file name has no control characters (such as a newline)")
        for i, arg in enumerate(v.check_list("entrypoint.args", self.args)):
            v.check_str(f"entrypoint.args[{i}]", arg)
        _check_abs_path("entrypoint.work_dir", self.work_dir)
        _set(self, "args", tuple(self.args))

    def command(self) -> list[str]:
        """The main container's command: ``python3 FILE ARGS``, ``bash FILE ARGS`` or ``sleep infinity``."""
        if not self.file:
            return ["sleep", "infinity"]
        runner = "python3" if self.file.endswith(".py") else "bash"
        return [runner, self.file, *self.args]


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class ExistingConfigMap:
    """Code from a ConfigMap that already exists, mounted at ``/app``. Chart: ``configMap``.

    Args:
        name: The ConfigMap's name, in the release's namespace, or a cdk8s-plus
            ``ConfigMap`` (only its name is kept).
    """

    name: str | NamedObject

    def __post_init__(self) -> None:
        try:
            _set(self, "name", v.object_name("code.name", self.name, "ConfigMap"))
        except OptionError as err:
            raise err.labelled("code.name (configMap)") from None


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class LocalFiles:
    """Code shipped in the ``<fullname>-files`` ConfigMap, mounted at ``/app``.

    Chart: the files under the chart's ``files/`` directory. Use
    :meth:`from_directory` to read a directory the same way.

    Args:
        files: File name to text; each becomes ``/app/<name>``. At most 1 MiB in total.
    """

    files: Mapping[str, str]

    def __post_init__(self) -> None:
        files = v.check_str_mapping("code.files", self.files)
        if not files:
            v.fail("code.files", {}, "give at least one file")
        total = 0
        for key, text in files.items():
            v.check_configmap_key("code.files key", key)
            total += len(key) + len(text.encode())
        if total > _files.MAX_TOTAL:
            v.fail("code.files", f"{total} bytes", "a ConfigMap holds at most 1 MiB; clone large code from git instead")
        _set(self, "files", MappingProxyType(files))

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None) -> LocalFiles:
        """Reads every regular file directly in ``path`` (sorted, so output is stable).

        A symlinked file that leads out of ``path`` is refused. With ``root`` (the Helm
        translator passes the values file's directory, or the current directory), a
        relative ``path`` is taken from ``root`` and the directory must resolve inside it.
        """
        return cls(files=_files.read_directory(path, root=root))


_SCP_LIKE = re.compile(r"[^/@:\s]+@[^/:\s]+:.*", re.ASCII)
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})


def git_transport(repository: str) -> str:
    """How git reaches ``repository``: ``ssh``, ``https``, ``http``, ``git``, ``file``
    (a local path counts as ``file``) or the URL's own scheme when git has no such name."""
    if _SCP_LIKE.fullmatch(repository):
        return "ssh"
    scheme = urlsplit(repository).scheme
    if not scheme and "://" not in repository:
        return "file"
    return "ssh" if scheme in _SSH_SCHEMES else scheme


def git_auth_problems(
    repository: str, *, ssh_set: bool, token_set: bool, names: tuple[str, str] = ("ssh_secret", "token_secret")
) -> list[str]:
    """Why ``repository`` can't be cloned with the credentials that are set, all at once.

    ``names`` are the two settings in the caller's vocabulary (``ssh_secret`` in Python,
    ``cloneFilesFromGit.sshSecret`` in a values file), so one rule answers both.
    """
    ssh_key, token_key = names
    transport = git_transport(repository)
    problems: list[str] = []
    if ssh_set and token_set:
        problems.append(
            f"{ssh_key} and {token_key} are both set; set {ssh_key} for an ssh URL or {token_key} for an https URL"
        )
    if ssh_set and transport != "ssh":
        hint = f", or use {token_key} with this https URL" if transport == "https" else ""
        problems.append(
            f"{ssh_key} authenticates an ssh URL (git@host:org/repo.git or ssh://git@host/org/repo.git), "
            f"but the URL uses {transport}; give the repository's ssh URL{hint}"
        )
    if token_set and transport != "https":
        hint = (
            f"; give the repository's https URL, or use {ssh_key} with this ssh URL"
            if transport == "ssh"
            else "; give the repository's https URL (over any other transport the token would travel unencrypted)"
        )
        problems.append(f"{token_key} authenticates an https URL, but the URL uses {transport}{hint}")
    return problems


_HELM_LEAF = {
    "repository": "repository",
    "revision": "revision",
    "ssh_secret": "sshSecret",
    "token_secret": "tokenSecret",
}


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class GitRepository:
    """Code cloned into an emptyDir at ``/app`` by the ``git-clone-repository`` init container.

    Chart: ``cloneFilesFromGit.*`` (repository, revision default ``master``). A private
    repository needs one of the two Secrets (see ``docs/private-code.md``); only the clone
    container mounts it, read-only, and no training container ever sees it.

    Args:
        repository: The URL to clone. Chart: ``cloneFilesFromGit.repository``.
        revision: Branch or tag to check out. Chart: ``cloneFilesFromGit.revision``.
        ssh_secret: For an ssh URL: a ``kubernetes.io/ssh-auth`` Secret (by name or as a
            cdk8s-plus ``Secret``) with the private key under ``ssh-privatekey`` and the
            server's host keys under ``known_hosts``; host keys are always checked.
            Values: ``cloneFilesFromGit.sshSecret``.
        token_secret: For an https URL: a ``kubernetes.io/basic-auth`` Secret with
            ``username`` and ``password`` (the token), handed to git by a credential
            helper that reads the mounted files. Values: ``cloneFilesFromGit.tokenSecret``.
    """

    repository: str
    revision: str = "master"
    ssh_secret: str | NamedObject | None = None
    token_secret: str | NamedObject | None = None

    def __post_init__(self) -> None:
        try:
            self._validate()
        except OptionError as err:
            # Python users see the Helm key too, as a pointer for those coming from the chart.
            leaf = err.field.removeprefix("code.")
            raise err.labelled(f"{err.field} (cloneFilesFromGit.{_HELM_LEAF.get(leaf, leaf)})") from None

    def _validate(self) -> None:
        repo = v.check_str("code.repository", self.repository, max_len=2048)
        if not repo.strip():
            v.fail("code.repository", repo, "a git source needs a repository URL")
        if repo.startswith("-") or not repo.isprintable() or any(c.isspace() for c in repo):
            v.fail("code.repository", repo, "give a URL without spaces that does not start with '-'")
        if v.url_has_credentials(repo):
            # The URL is not echoed: the part before '@' is likely a password or token.
            raise OptionError(
                "code.repository",
                "<hidden>",
                "the URL carries credentials before '@', "
                "which would be written in plain text into the manifests; use a URL without them "
                "(an ssh URL such as git@host:org/repo.git, or a public https URL)",
            )
        rev = v.check_str("code.revision", self.revision, allow_empty=False, max_len=255)
        if rev.startswith("-") or not rev.isprintable() or any(c.isspace() for c in rev):
            v.fail("code.revision", rev, "give a branch or tag without spaces that does not start with '-'")
        for name, text in (("code.repository", repo), ("code.revision", rev)):
            if "$(" in text:
                # The kubelet expands $(VAR) in a container's args, so the clone would
                # fetch something other than what the manifest shows.
                v.fail(name, text, "'$(' would be expanded by the kubelet as a variable reference; remove it")
        for name in ("ssh_secret", "token_secret"):
            if getattr(self, name) is not None:
                _set(self, name, v.object_name(f"code.{name}", getattr(self, name), "Secret"))
        problems = git_auth_problems(repo, ssh_set=self.ssh_secret is not None, token_set=self.token_secret is not None)
        if problems:
            field = "code.token_secret" if self.token_secret is not None else "code.ssh_secret"
            raise OptionError(field, repo, "; ".join(problems))


CodeSource: TypeAlias = ExistingConfigMap | LocalFiles | GitRepository
