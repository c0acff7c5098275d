"""Voice: notes transcribed by Whisper (the `voice` extra), answers read aloud by espeak-ng."""
