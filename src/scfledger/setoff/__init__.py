"""Multilateral set-off (三角债清理): the obligation graph, the planner and its checks."""
