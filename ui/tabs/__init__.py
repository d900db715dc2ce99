"""The chat app's tabs, one builder each; :func:`ui.app.build_app` composes them.

Each builder creates its tab's components inside the caller's ``gr.Tabs()`` and wires their
events. They import gradio at module level, so import them only where gradio is wanted.
"""
