-- A student made of whole layers of its parent, sharing its chunks (extract_layers, 031).
SELECT extract_layers(%(parent)s, %(name)s, %(layers)s, %(derivation)s)
