"""What leaves the dashboard: charts (the figures), the briefing (PPTX/PDF) and its render jobs, the acceptance
pack (验收), the digest, and the region view over many counties' snapshots.
"""
