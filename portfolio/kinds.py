"""The records of an initiative that are edited from its page, wired to their forms and services."""

from __future__ import annotations

from core import roles
from core.extensions import ChildKind, registry
from portfolio import forms, services
from portfolio.models import Artefact, Contribution, Milestone, ScopeChange


def _pmo(user: object, _initiative: object) -> bool:
    return roles.can_edit_portfolio(user)


def register_kinds() -> None:
    registry.add_child_kind(
        ChildKind(
            slug="contributions",
            noun="contribution",
            section="contributions",
            model=Contribution,
            form=forms.ContributionForm,
            create=services.contribution_create,
            update=lambda *, user, pk, version, data: services.contribution_update(
                user=user, contribution_id=pk, version=version, data=data
            ),
            delete=lambda *, user, pk, version: services.contribution_delete(
                user=user, contribution_id=pk, version=version
            ),
            rule=_pmo,
        )
    )
    registry.add_child_kind(
        ChildKind(
            slug="milestones",
            noun="milestone",
            section="milestones",
            model=Milestone,
            form=forms.MilestoneForm,
            create=services.milestone_create,
            update=lambda *, user, pk, version, data: services.milestone_update(
                user=user, milestone_id=pk, version=version, data=data
            ),
            delete=lambda *, user, pk, version: services.milestone_delete(
                user=user, milestone_id=pk, version=version
            ),
            rule=roles.can_edit_initiative,
        )
    )
    registry.add_child_kind(
        ChildKind(
            slug="scope-changes",
            noun="scope change",
            section="scope-changes",
            model=ScopeChange,
            form=forms.ScopeChangeForm,
            create=services.scope_change_create,
            update=lambda *, user, pk, version, data: services.scope_change_update(
                user=user, scope_change_id=pk, version=version, data=data
            ),
            delete=lambda *, user, pk, version: services.scope_change_delete(
                user=user, scope_change_id=pk, version=version
            ),
            rule=roles.can_edit_initiative,
        )
    )
    registry.add_child_kind(
        ChildKind(
            slug="artefacts",
            noun="artefact",
            section="artefacts",
            model=Artefact,
            form=forms.ArtefactForm,
            create=services.artefact_create,
            update=lambda *, user, pk, version, data: services.artefact_update(
                user=user, artefact_id=pk, version=version, data=data
            ),
            delete=lambda *, user, pk, version: services.artefact_delete(
                user=user, artefact_id=pk, version=version
            ),
            rule=roles.can_edit_initiative,
        )
    )
