"""Handover to a person: the store, state machine, staffed hours and records (no Rasa, no HTTP here).

A user asks for a person and joins a queue; a staff member takes the conversation in the console; they exchange
messages; staff hand it back to the assistant. The channels and the console build on this package.
"""
