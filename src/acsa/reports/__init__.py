"""What people read and print: documents (PDF), report downloads, charts.

- :mod:`acsa.reports.qr` — the QR payload a printed document carries;
- :mod:`acsa.reports.documents` — order form, invoice, waybill and
  goods-received note as bilingual PDF (fpdf2, IPA Gothic embedded);
- :mod:`acsa.reports.tables` — report rows to CSV and XLSX bytes;
- :mod:`acsa.reports.charts` — balances over time and aging as SVG (pygal).

Translations, money and date formatting and the names of codes come from
:mod:`acsa.i18n` and :mod:`acsa.i18n.labels`. This package reads from
:mod:`acsa.services` and never writes.
"""
