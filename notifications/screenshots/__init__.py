"""Chart screenshots: portal pages captured by a pooled headless browser.

* ``charts`` — which charts a notification (or Send Screenshot) attaches: portal,
  parameters, file name, caption, the link for people, and what is said instead
  when no image can be made.
* ``capture`` — the PNG of a portal page: the signed URL the browser opens.
* ``pool`` and ``browser`` — browsers started once per process and reused.
* ``availability`` — whether this server can take screenshots at all.
"""
