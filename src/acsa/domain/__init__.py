"""The pure rules of cross-servicing: money, parties, appointments, agreement
profiles, orders and their lifecycle, settlement and postings.

Nothing here performs I/O, reads a clock or imports a framework; every
function is a deterministic function of its arguments, so two nodes that
hold the same events compute the same answer on any day.
"""
