from __future__ import annotations

from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolio"
    verbose_name = "Portfolio"

    def ready(self) -> None:
        from portfolio import benefit_sections, business_case_sections, kinds, sections, worklist
        from portfolio.imports import children as import_children
        from portfolio.imports import kinds as import_kinds
        from portfolio.imports import measures as import_measures
        from portfolio.imports import runs  # noqa: F401 - registers the import job's kind

        sections.register_sections()
        business_case_sections.register()
        benefit_sections.register()
        kinds.register_kinds()
        worklist.register_checks()
        import_kinds.register_kinds()
        import_measures.register_kinds()
        import_children.register_kinds()
