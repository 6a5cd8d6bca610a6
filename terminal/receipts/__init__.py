"""Receipts: one per forwarded sale, on an ESC/POS printer (python-escpos) or into a folder.

``layout`` says what a receipt holds (pure), ``printers`` puts it on paper or in a file, and
``desk`` decides when: after the journal says forwarded, at most once per sale.
"""
