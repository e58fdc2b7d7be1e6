"""Training the neural span-extraction reader: data, features, the training loop and the compact export."""
