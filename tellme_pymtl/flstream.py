"""
Helpers for functional-level models: an FL model takes every input beat as it comes (rdy tied high) and keeps
its results in Python queues, offering the head of a queue on its output stream. (The writes to the output
ports stay in the models' own update blocks: pymtl3 finds a port's driver by reading the block's source.)
"""


def sent(port, queue):
  """Drop the head of the queue if the port's handshake happened this cycle."""
  if port.val & port.rdy:
    queue.popleft()
