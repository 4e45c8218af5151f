"""drugtrace"""
