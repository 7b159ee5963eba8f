"""Container images and the pull-secret lists that go with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import _validate as v
from ._common import PULL_POLICIES, NamedObject, PullPolicy, _keyword_hints, _set


@_keyword_hints
@dataclass(frozen=True, kw_only=True)
class Image:
    """A container image, assembled as ``registry/repository:tag`` (or ``@digest``).

    Args:
        registry: Image registry. Chart: ``image.registry`` (default ``docker.io``).
        repository: Image name. Chart: ``image.repository``. The README's default
            ``bitnami/MXNet`` is not a valid reference (repositories are lowercase), so the
            default here is ``bitnami/mxnet``.
        tag: Image tag. Chart: ``image.tag``, whose README default is the placeholder
            ``{TAG_NAME}``; the default here is ``1.9.1``, the MXNet release this library
            is tested against.
        digest: Optional ``sha256:...`` digest; when set it replaces the tag, so the
            reference is immutable.
        pull_policy: ``imagePullPolicy``. Chart: ``image.pullPolicy``.
        pull_secrets: Names of docker-registry Secrets. Chart: ``image.pullSecrets``.
        debug: Sets ``BITNAMI_DEBUG=true`` in the main container. Chart: ``image.debug``.
    """

    registry: str = "docker.io"
    repository: str = "bitnami/mxnet"
    tag: str = "1.9.1"
    digest: str | None = None
    pull_policy: PullPolicy = "IfNotPresent"
    pull_secrets: Sequence[str | NamedObject] = ()
    debug: bool = False

    def __post_init__(self) -> None:
        _set(self, "pull_secrets", _check_names_list("image.pull_secrets", self.pull_secrets))
        self.validate("image")

    def validate(self, where: str) -> None:
        """Raises ValueError/TypeError naming ``where.<field>`` for a bad value."""
        v.check_str(f"{where}.registry", self.registry, max_len=v.MAX_SUBDOMAIN + 6)
        if self.registry and not v.matches(v.IMAGE_REGISTRY, self.registry):
            v.fail(
                f"{where}.registry",
                self.registry,
                "use a host name with an optional port, e.g. 'docker.io' or 'registry.local:5000'",
            )
        v.check_str(f"{where}.repository", self.repository, allow_empty=False, max_len=255)
        if not v.matches(v.IMAGE_REPOSITORY, self.repository):
            hint = " (repository names are lowercase)" if self.repository.lower() != self.repository else ""
            v.fail(
                f"{where}.repository", self.repository, "use lowercase path components such as 'bitnami/mxnet'" + hint
            )
        v.check_str(f"{where}.tag", self.tag, allow_empty=False, max_len=128)
        if not v.matches(v.IMAGE_TAG, self.tag):
            v.fail(
                f"{where}.tag",
                self.tag,
                "a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
            )
        if self.digest is not None and not v.matches(
            v.IMAGE_DIGEST, v.check_str(f"{where}.digest", self.digest, max_len=200)
        ):
            v.fail(f"{where}.digest", self.digest, "use 'sha256:' followed by the hex digest")
        v.check_choice(f"{where}.pull_policy", self.pull_policy, PULL_POLICIES)
        _check_names_list(f"{where}.pull_secrets", self.pull_secrets)
        v.check_bool(f"{where}.debug", self.debug)

    @property
    def pull_secret_names(self) -> tuple[str, ...]:
        """``pull_secrets`` as names (objects given there are stored by name)."""
        return tuple(str(s) for s in self.pull_secrets)

    def reference(self, global_registry: str | None = None) -> str:
        """The full image reference; ``global_registry`` wins over ``registry`` as in the chart."""
        registry = global_registry or self.registry
        name = f"{registry}/{self.repository}" if registry else self.repository
        return f"{name}@{self.digest}" if self.digest else f"{name}:{self.tag}"


def _check_names_list(field_name: str, value: object) -> tuple[str, ...]:
    """Secret names (or cdk8s-plus Secrets, taken by name) as a tuple of names."""
    items = v.check_list(field_name, value)
    return tuple(v.object_name(f"{field_name}[{i}]", item, "Secret") for i, item in enumerate(items))


DEFAULT_GIT_IMAGE = Image(repository="bitnami/git", tag="2.43.0")
DEFAULT_VOLUME_PERMISSIONS_IMAGE = Image(repository="bitnami/minideb", tag="buster", pull_policy="Always")
