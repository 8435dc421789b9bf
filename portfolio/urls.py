from __future__ import annotations

from django.urls import path

from portfolio.views import benefits, business_cases, exports, imports, initiatives, objectives, worklist

app_name = "portfolio"

urlpatterns = [
    path("initiatives/", initiatives.initiative_list, name="initiative-list"),
    path("initiatives/export.<fmt:fmt>", exports.initiative_export, name="initiative-export"),
    path("objectives/export.<fmt:fmt>", exports.objective_export, name="objective-export"),
    path("kpis/export.<fmt:fmt>", exports.kpi_export, name="kpi-export"),
    path("readings/export.<fmt:fmt>", exports.reading_export, name="reading-export"),
    path("milestones/export.<fmt:fmt>", exports.milestone_export, name="milestone-export"),
    path("benefit-plans/export.<fmt:fmt>", exports.benefit_plan_export, name="benefit-plan-export"),
    path(
        "benefit-plans/realisation.<fmt:fmt>", exports.benefit_summary_export, name="benefit-summary-export"
    ),
    path("initiatives/new/", initiatives.initiative_create, name="initiative-create"),
    path("initiatives/<id:pk>/", initiatives.initiative_detail, name="initiative-detail"),
    path("initiatives/<id:pk>/edit/", initiatives.initiative_edit, name="initiative-edit"),
    path(
        "initiatives/<id:pk>/sustainment-owner/",
        initiatives.initiative_sustainment_owner,
        name="initiative-sustainment-owner",
    ),
    path("initiatives/<id:pk>/business-case/", business_cases.business_case_edit, name="business-case-edit"),
    path("benefit-lines/<id:pk>/plan/", benefits.benefit_plan_edit, name="benefit-plan-edit"),
    path("financial-policy/", business_cases.financial_policy, name="financial-policy"),
    path("initiatives/<id:pk>/<slug:kind>/new/", initiatives.record_create, name="record-create"),
    path("records/<slug:kind>/<id:pk>/edit/", initiatives.record_edit, name="record-edit"),
    path("records/<slug:kind>/<id:pk>/delete/", initiatives.record_delete, name="record-delete"),
    path("contributions/kpi-options/", initiatives.contribution_kpi_options, name="contribution-kpi-options"),
    path("milestones/", initiatives.milestone_list, name="milestone-list"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("objectives/", objectives.objective_list, name="objective-list"),
    path("objectives/new/", objectives.objective_create, name="objective-create"),
    path("objectives/<id:pk>/", objectives.objective_detail, name="objective-detail"),
    path("objectives/<id:pk>/edit/", objectives.objective_edit, name="objective-edit"),
    path("kpis/new/", objectives.kpi_create, name="kpi-create"),
    path("kpis/<id:pk>/", objectives.kpi_detail, name="kpi-detail"),
    path("kpis/<id:pk>/edit/", objectives.kpi_edit, name="kpi-edit"),
    path("kpis/<id:pk>/readings/", objectives.reading_create, name="reading-create"),
    path("readings/<id:pk>/delete/", objectives.reading_delete, name="reading-delete"),
    path(
        "kpis/<id:pk>/interim-targets/new/",
        objectives.interim_target_create,
        name="interim-target-create",
    ),
    path(
        "interim-targets/<id:pk>/delete/",
        objectives.interim_target_delete,
        name="interim-target-delete",
    ),
    path("import/", imports.import_start, name="import-start"),
    path("import/<id:pk>/", imports.import_detail, name="import-detail"),
    path("import/<id:pk>/mapping/", imports.import_mapping, name="import-mapping"),
    path("import/<id:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("import/<id:pk>/problems.csv", imports.import_errors, name="import-errors"),
    path("import/templates/<slug:kind>.<fmt:fmt>", imports.import_template, name="import-template"),
    path("programs/", objectives.program_list, name="program-list"),
    path("programs/new/", objectives.program_create, name="program-create"),
    path("programs/<id:pk>/edit/", objectives.program_edit, name="program-edit"),
]
