"""Chinese NLU pieces: normalisation, segmentation, the spaCy pipeline, Rasa components."""
