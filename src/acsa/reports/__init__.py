"""What people read and print: documents (PDF), report downloads, charts, translations.

- :mod:`acsa.reports.i18n` — Babel catalogues (English, Japanese), locale
  negotiation, money and date formatting, Jinja2 installation;
- :mod:`acsa.reports.labels` — the translatable names of statuses, roles,
  actions, accounts, reports and error codes;
- :mod:`acsa.reports.qr` — the QR payload a printed document carries;
- :mod:`acsa.reports.documents` — order form, invoice, waybill and
  goods-received note as bilingual PDF (fpdf2, IPA Gothic embedded);
- :mod:`acsa.reports.tables` — report rows to CSV and XLSX bytes;
- :mod:`acsa.reports.charts` — balances over time and aging as SVG (pygal).

This package reads from :mod:`acsa.services` and never writes.
"""
