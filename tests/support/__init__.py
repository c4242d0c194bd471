"""What tests share: waiting for a condition, serving an app, building the gateway's parts."""
