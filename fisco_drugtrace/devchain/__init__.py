"""devchain"""
