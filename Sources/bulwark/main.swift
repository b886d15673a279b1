import ArgumentParser
import BulwarkServer
import Logging

print("hi")
