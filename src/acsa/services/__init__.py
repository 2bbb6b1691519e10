"""Use cases: one function per thing a user does, each one transaction.

Entry points (CLI, REST, web pages, the federation worker) parse input,
call one of these functions and map its :class:`~acsa.domain.errors.DomainError`
to an exit code, a problem document or a message on the page.
"""
