"""Training targets: one static profile per platform, as TOML package data in profiles/.

A profile records a hosted API's or an open-source trainer's documented rules for
training files (formats, fields, roles, loss masking, example and size limits, prices),
with the pages it was read from and the date. `auditor.target_profiles` loads them; the
FT7xx checks read them. Nothing here is fetched at run time.
"""
